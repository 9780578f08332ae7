import { defineConfig } from "vite";

export default defineConfig({ optimizeDeps: { include: ["@errand/client/worker"] } });
