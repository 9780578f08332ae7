import { MAX_ADMIN_BODY_BYTES, MAX_BODY_BYTES } from "@errand/core/wire";
import { beforeAll, describe, expect, it } from "vitest";
import { api, json, newTenant } from "../../../test/edge.ts";

/**
 * Every route that takes a JSON body, with a body it accepts (named by `tag`, so each case makes
 * something new), one its schema refuses, and a count of what it has stored so far.
 */
interface JsonRoute {
  method: string;
  path: string;
  maxBytes: number;
  valid(tag: string): unknown;
  invalid: unknown;
  created: number;
  stored(key: string): Promise<number>;
}

const ROUTES: JsonRoute[] = [
  {
    method: "POST",
    path: "/v1/tasks",
    maxBytes: MAX_BODY_BYTES,
    valid: (tag) => ({ tasks: [{ id: `body-${tag}`, topic: "bodies", payload: { tag } }] }),
    invalid: { tasks: [] },
    created: 200,
    stored: async (key) =>
      (await json<{ topics: { topic: string; accepted: number }[] }>(key, "GET", "/v1/stats")).topics.find(
        (t) => t.topic === "bodies",
      )?.accepted ?? 0,
  },
  {
    method: "PUT",
    path: "/v1/topics/bodies.made",
    maxBytes: MAX_ADMIN_BODY_BYTES,
    valid: (tag) => ({ description: tag }),
    invalid: { ordering: "sideways" },
    created: 200,
    stored: async (key) =>
      (await json<{ topics: { name: string }[] }>(key, "GET", "/v1/topics")).topics.filter(
        (t) => t.name === "bodies.made",
      ).length,
  },
  {
    method: "POST",
    path: "/v1/topics/bodies/subscriptions",
    maxBytes: MAX_ADMIN_BODY_BYTES,
    valid: (tag) => ({ kind: "live", target: `s-${tag}` }),
    invalid: { kind: "carrier-pigeon", target: "x" },
    created: 201,
    stored: async (key) =>
      (await json<{ subscriptions: unknown[] }>(key, "GET", "/v1/topics/bodies/subscriptions")).subscriptions
        .length,
  },
  {
    method: "POST",
    path: "/v1/keys",
    maxBytes: MAX_ADMIN_BODY_BYTES,
    valid: (tag) => ({ scopes: ["read"], topics: ["bodies"], name: tag }),
    invalid: { scopes: [] },
    created: 201,
    stored: async (key) => (await json<{ keys: unknown[] }>(key, "GET", "/v1/keys")).keys.length,
  },
  {
    // Minting stores nothing; the route is here for what it answers.
    method: "POST",
    path: "/v1/tokens",
    maxBytes: MAX_ADMIN_BODY_BYTES,
    valid: (tag) => ({ subject: tag, topics: ["bodies"], ttlSeconds: 60 }),
    invalid: { subject: "", topics: ["bodies"], ttlSeconds: 60 },
    created: 200,
    stored: async () => 0,
  },
];

/** A malformed request: what it sends and what the contract answers. */
interface Malformed {
  name: string;
  contentType?: string;
  body(route: JsonRoute): BodyInit;
  status: number;
  code: string;
}

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** The valid body grown past the limit with trailing whitespace, so only its size is wrong. */
const oversized = (route: JsonRoute) => JSON.stringify(route.valid("big")).padEnd(route.maxBytes + 1, " ");

const MALFORMED: Malformed[] = [
  {
    name: "no content type",
    body: (r) => encode(r.valid("none")),
    status: 415,
    code: "unsupported_media_type",
  },
  ...[
    "text/plain",
    "application/x-www-form-urlencoded",
    "application/jsonx",
    "application/json; charset=latin1",
  ].map((contentType) => ({
    name: `content type ${contentType}`,
    contentType,
    body: (r: JsonRoute) => encode(r.valid("typed")),
    status: 415,
    code: "unsupported_media_type",
  })),
  {
    name: "a body over the limit with its Content-Length",
    contentType: "application/json",
    body: oversized,
    status: 413,
    code: "payload_too_large",
  },
  {
    // Chunked, and never finished: only a reader that counts as it reads can answer.
    name: "a body over the limit streamed without a Content-Length, never ending",
    contentType: "application/json",
    body: (r) => {
      const chunk = new TextEncoder().encode(" ".repeat(16_384));
      let sent = 0;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent <= r.maxBytes) controller.enqueue(chunk);
          sent += chunk.byteLength;
        },
      });
    },
    status: 413,
    code: "payload_too_large",
  },
  {
    name: "invalid UTF-8 inside a string",
    contentType: "application/json",
    body: (r) => {
      // The tag's "~" (0x7e) becomes 0xff, a byte UTF-8 never uses.
      const bytes = encode(r.valid("bad~utf8"));
      bytes[bytes.indexOf(0x7e)] = 0xff;
      return bytes;
    },
    status: 400,
    code: "invalid_json",
  },
  {
    name: "a body that is not JSON",
    contentType: "application/json",
    body: (r) => `${JSON.stringify(r.valid("cut")).slice(0, -1)}`,
    status: 400,
    code: "invalid_json",
  },
  {
    name: "JSON the route's schema refuses",
    contentType: "application/json",
    body: (r) => JSON.stringify(r.invalid),
    status: 400,
    code: "invalid_request",
  },
];

let key: string;
let token: string;

beforeAll(async () => {
  ({ key } = await newTenant());
  await json(key, "PUT", "/v1/topics/bodies", {});
  ({ token } = await json<{ token: string }>(key, "POST", "/v1/tokens", {
    subject: "reader",
    topics: ["bodies"],
    ttlSeconds: 600,
  }));
});

/** Sends a body; fails if no answer comes within 10 s (a reader waiting for the body's end). */
function send(route: JsonRoute, body: BodyInit, contentType?: string, credential = key): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${credential}` };
  if (contentType !== undefined) headers["content-type"] = contentType;
  return Promise.race([
    api(route.path, { method: route.method, headers, body }),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${route.method} ${route.path} did not answer in 10 s`)), 10_000),
    ),
  ]);
}

describe.each(ROUTES)("$method $path", (route) => {
  it.each(MALFORMED)("answers $status $code to $name, storing nothing", async (malformed) => {
    const before = await route.stored(key);
    const response = await send(route, malformed.body(route), malformed.contentType);
    expect([response.status, await response.json()]).toEqual([
      malformed.status,
      { error: { code: malformed.code, message: expect.any(String) } },
    ]);
    expect(await route.stored(key)).toBe(before);
  });

  // A client token may post tasks; every other JSON route is an admin's.
  if (route.path !== "/v1/tasks") {
    it("answers 403 to a client token before it reads the body", async () => {
      const response = await send(route, "\u0000", "text/plain", token);
      expect([response.status, await response.json()]).toMatchObject([403, { error: { code: "forbidden" } }]);
    });
  }

  it("accepts a valid body sent as application/json; charset=utf-8", async () => {
    const response = await send(
      route,
      JSON.stringify(route.valid(crypto.randomUUID().slice(0, 8))),
      "application/json; charset=utf-8",
    );
    expect(response.status, await response.text()).toBe(route.created);
  });
});

describe("when a route's body is optional", () => {
  it("takes no body at all, with no content type, as an empty one", async () => {
    const response = await api("/v1/topics/bodies.bare", {
      method: "PUT",
      headers: { authorization: `Bearer ${key}` },
    });
    expect([response.status, await response.json()]).toEqual([200, { name: "bodies.bare", ordering: "key" }]);
  });
});
