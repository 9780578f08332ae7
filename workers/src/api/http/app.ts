/**
 * The HTTP API (wire contract v1) as a hono app. Production and the dev/test entry build it
 * the same way; the dev/test entry passes `extend` hooks that add the dev-only routes and the
 * test-only fault layer, so production bundles none of them.
 */
import { errorBody } from "@errand/core/wire";
import { Hono } from "hono";
import { cors as publicCors } from "hono/cors";
import { authenticate } from "../auth/authenticate.ts";
import { adminRoutes } from "./admin-routes.ts";
import { onApiError } from "./api-error.ts";
import type { AppEnv } from "./app-env.ts";
import { cors } from "./cors.ts";
import { eventsRoutes } from "./events-routes.ts";
import { tasksRoutes } from "./tasks-routes.ts";
import { tokensRoutes } from "./tokens-routes.ts";

/** Hooks the dev/test entry uses to add what production must not have. */
export interface AppExtensions {
  /** Registers public routes under `/v1/dev` (before authentication). */
  devRoutes?: (app: Hono<AppEnv>) => void;
  /** Registers middleware that runs after authentication, before the routes. */
  afterAuth?: (api: Hono<AppEnv>) => void;
}

/** Builds the API. */
export function createApp(extensions: AppExtensions = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(onApiError);
  app.notFound((c) => c.json(errorBody("not_found", "No such route."), 404));

  // Health is public and credential-free, so any origin may read it.
  app.use("/v1/health", publicCors({ origin: "*", maxAge: 600 }));
  app.get("/v1/health", (c) =>
    c.json({ ok: true, service: "errand-api", env: c.env.ERRAND_ENV, time: Date.now() }),
  );

  app.use("/v1/*", async (c, next) => (c.req.path === "/v1/health" ? next() : cors()(c, next)));
  extensions.devRoutes?.(app);
  app.route("/v1/events", eventsRoutes);

  const api = new Hono<AppEnv>();
  api.use("*", authenticate());
  extensions.afterAuth?.(api);
  api.route("/tasks", tasksRoutes);
  api.route("/tokens", tokensRoutes);
  api.route("/", adminRoutes);
  app.route("/v1", api);
  return app;
}
