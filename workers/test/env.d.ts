import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env {
      /** Migrations read by the workerd vitest project and applied in a setup file. */
      TEST_MIGRATIONS: D1Migration[];
      /** The example consumer Worker (tests read its effects and webhook receipts). */
      EXAMPLE_CONSUMER: Fetcher;
    }
  }
}
