import { defineConfig } from "vite";
import { sharedViteConfig } from "../test/vite-shared.ts";

/** The demo page, served by `npm start` against the local edge. */
export default defineConfig(sharedViteConfig(new URL(".", import.meta.url)));
