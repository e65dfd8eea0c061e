import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createCors } from "./cors.ts";

const defaults = {
  disabled: false,
  allowedOrigins: ["*"],
  allowedHeaders: ["accept", "content-type", "user-agent", "x-requested-with"],
  maxAge: 0,
};

describe("cors", () => {
  it("is off when disabled", () => {
    assert.equal(createCors({ ...defaults, disabled: true }), undefined);
  });

  it("answers a preflight only when origin, method and every header are allowed", () => {
    const cors = createCors(defaults)!;
    assert.deepEqual(cors.preflight("https://a.example", "POST", "accept, content-type"), [
      "Vary",
      "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
      "Access-Control-Allow-Origin",
      "*",
      "Access-Control-Allow-Methods",
      "POST",
      "Access-Control-Allow-Headers",
      "accept, content-type",
    ]);
    // not sorted, upper case, not allowed, unknown method, no origin: Vary only
    for (const [origin, method, headers] of [
      ["https://a.example", "POST", "content-type,accept"],
      ["https://a.example", "POST", "Content-Type"],
      ["https://a.example", "POST", "authorization"],
      ["https://a.example", "CONNECT", undefined],
      [undefined, "POST", undefined],
    ] as const) {
      assert.equal(
        cors.preflight(origin, method, headers).length,
        2,
        `${origin} ${method} ${headers}`,
      );
    }
  });

  it("echoes an allowed origin from a list, with wildcards, and sends max age", () => {
    const cors = createCors({
      ...defaults,
      allowedOrigins: ["https://app.example", "https://*.corp.example"],
      maxAge: 600,
    })!;
    const pre = cors.preflight("https://x.corp.example", "GET", undefined);
    assert.deepEqual(pre.slice(2), [
      "Access-Control-Allow-Origin",
      "https://x.corp.example",
      "Access-Control-Allow-Methods",
      "GET",
      "Access-Control-Max-Age",
      "600",
    ]);
    assert.deepEqual(cors.actual("https://APP.example", "POST"), [
      "Vary",
      "Origin",
      "Access-Control-Allow-Origin",
      "https://APP.example",
    ]);
    assert.deepEqual(cors.actual("https://evil.example", "POST"), ["Vary", "Origin"]);
    assert.deepEqual(cors.actual(undefined, "POST"), ["Vary", "Origin"]);
  });

  it("allows any header with `*`", () => {
    const cors = createCors({ ...defaults, allowedHeaders: ["*"] })!;
    assert.equal(cors.preflight("https://a.example", "POST", "x-b,x-a").includes("x-b,x-a"), true);
  });
});
