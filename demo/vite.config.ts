import { defineConfig } from "vite";

const sourceConditions = [
  "@errand/source",
  "module",
  "browser",
  "development|production",
  "import",
  "default",
];

/**
 * The demo page. `ERRAND_EDGE_URL` (set by `npm start` and the e2e setup) says where the
 * local edge listens; the page reads it as `import.meta.env.VITE_ERRAND_EDGE_URL`.
 */
export default defineConfig({
  root: new URL(".", import.meta.url).pathname,
  resolve: { conditions: sourceConditions },
  define: {
    "import.meta.env.VITE_ERRAND_EDGE_URL": JSON.stringify(
      process.env.ERRAND_EDGE_URL ?? "http://127.0.0.1:8787",
    ),
  },
  server: { host: "127.0.0.1" },
});
