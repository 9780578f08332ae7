import { beforeAll, describe, expect, it } from "vitest";
import { api, json, newTenant } from "../../../test/edge.ts";
import { devRoutes } from "../dev/dev-routes.ts";
import { createApp } from "./app.ts";

/**
 * Every route of the API and of the dev/test environments, read from the app itself so that a
 * route added later is probed too: each handler (not middleware) registered for one method.
 * Left out: the dev routes that change the whole test Worker (its queue chaos, a repair pass).
 */
const ROUTES = [
  ...new Map(
    createApp({
      devRoutes: (root) =>
        root.route(
          "/v1/dev",
          devRoutes(() => undefined),
        ),
    })
      .routes.filter((route) => route.method !== "ALL" && !/^\/v1\/dev\/(chaos|repair)$/.test(route.path))
      .map((route) => [`${route.method} ${route.path}`, route] as const),
  ).values(),
];

/** Path parameters a client may send: huge, bad percent-encoding, a NUL, emoji. */
const PARAMS = ["a".repeat(100_000), "%ff", "%E0%A4%A", "%00", "😀".repeat(500)];

/** Bodies beside the JSON routes' own table (json-body.workerd.test.ts): none, and junk. */
const BODIES: { headers: Record<string, string>; body?: string }[] = [
  { headers: {} },
  { headers: { "content-type": "application/json" }, body: "null" },
  { headers: { "content-type": "application/json" }, body: '{"tasks":[null],"rules":[null],"subject":null}' },
  { headers: { "content-type": "text/plain" }, body: "\u0000" },
];

let credentials: string[];

beforeAll(async () => {
  const { key } = await newTenant();
  await json(key, "PUT", "/v1/topics/probe", {});
  const { token } = await json<{ token: string }>(key, "POST", "/v1/tokens", {
    subject: "probe",
    topics: ["probe"],
    ttlSeconds: 600,
  });
  credentials = [key, token];
});

describe("every route", () => {
  it("answers hostile parameters, bodies and credentials with no 5xx", async () => {
    expect(ROUTES.length).toBeGreaterThan(15);
    const failures: string[] = [];
    for (const route of ROUTES) {
      for (const param of PARAMS) {
        const path = route.path.replace(/:[a-z]+/gi, param);
        for (const [i, { headers, body }] of BODIES.entries()) {
          // Each body with the next credential in turn, or a made-up one, from an address of the
          // probe's own (failed credentials are charged to it).
          const credential =
            i === 3 ? `et1.${encodeURIComponent(param)}` : credentials[i % credentials.length];
          const response = await api(`${path}${path.includes("?") ? "&" : "?"}ids=${param}&ticket=${param}`, {
            method: route.method,
            headers: {
              ...headers,
              authorization: `Bearer ${credential}`,
              "cf-connecting-ip": "192.0.2.200",
              // Only there: workerd sends any request that asks to upgrade as a GET.
              ...(route.path === "/v1/events" ? { upgrade: "websocket" } : {}),
            },
            ...(body === undefined || route.method === "GET" ? {} : { body }),
          });
          if (response.status >= 500) {
            failures.push(
              `${route.method} ${route.path} [${param.slice(0, 8)}] body ${i}: ${response.status}`,
            );
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });
});
