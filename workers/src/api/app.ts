import { Hono } from "hono";
import { cors } from "hono/cors";
import { probeRoutes } from "./probe.ts";

/** The HTTP API (wire contract v1). */
export const app = new Hono<{ Bindings: Env }>();

// Health is public and credential-free, so any origin may read it.
app.use("/v1/health", cors({ origin: "*", maxAge: 600 }));
app.get("/v1/health", (c) =>
  c.json({ ok: true, service: "errand-api", env: c.env.ERRAND_ENV, time: Date.now() }),
);

app.use("/v1/dev/*", async (c, next) => {
  if (c.env.DEV_ROUTES !== "1") return c.json({ error: { code: "not_found", message: "Not found." } }, 404);
  await next();
});
app.route("/v1/dev/probes", probeRoutes);
