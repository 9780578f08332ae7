import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env {
      /** Migrations read by the workerd vitest project and applied in a setup file. */
      TEST_MIGRATIONS: D1Migration[];
    }
  }
}
