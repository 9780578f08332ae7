import { defineConfig } from "vite";

// A worker's dependencies are found only when it first loads, and `vite dev` then reloads the
// page to add them; listing the worker's entry here avoids that reload.
export default defineConfig({ optimizeDeps: { include: ["@errand/client/worker"] } });
