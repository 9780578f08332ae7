import { defineConfig } from "vite";

export default defineConfig({
  // Vite finds the page's dependencies at start, but a worker's only once the worker loads,
  // and then reloads the page to add them: listing the worker's entry avoids that reload.
  optimizeDeps: { include: ["@errand/client/worker"] },
});
