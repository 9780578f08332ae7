import { defineConfig } from "vite";
import { sharedViteConfig } from "../test/vite-shared.ts";

const shared = sharedViteConfig(new URL(".", import.meta.url));

/**
 * The demo page, served by `npm start` against the local edge. Under vitest (the e2e setup
 * starts this server), HMR and file watching are off: an edit elsewhere in the tree would
 * otherwise reload the page in the middle of a walk.
 */
export default defineConfig(
  process.env.VITEST ? { ...shared, server: { ...shared.server, hmr: false, watch: null } } : shared,
);
