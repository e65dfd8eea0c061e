import { Metadata } from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { requestContext } from "./request-context.ts";

describe("requestContext", () => {
  it("carries the peer, user agent, forwarded-for and every metadata value", () => {
    const metadata = new Metadata();
    metadata.set("User-Agent", "cerbos-sdk-javascript/0.27");
    metadata.add("x-tenant", "a");
    metadata.add("x-tenant", "b");
    metadata.set("x-forwarded-for", "10.0.0.1");
    metadata.set("trace-bin", Buffer.from([1, 2, 3]));
    const ctx = requestContext({ metadata, getPeer: () => "127.0.0.1:5000" });
    assert.equal(ctx.protocol, "grpc");
    assert.match(ctx.callId, /^[0-9A-HJKMNP-TV-Z]{26}$/);
    assert.deepEqual(ctx.peer, {
      address: "127.0.0.1:5000",
      userAgent: "cerbos-sdk-javascript/0.27",
      forwardedFor: "10.0.0.1",
    });
    assert.deepEqual(ctx.metadata["x-tenant"], ["a", "b"]);
    assert.deepEqual(ctx.metadata["trace-bin"], ["AQID"]);
    assert.ok(!("User-Agent" in ctx.metadata));
  });

  it("gives each call its own id and leaves out what the call did not send", () => {
    const call = { metadata: new Metadata(), getPeer: () => "unix:" };
    const a = requestContext(call);
    const b = requestContext(call);
    assert.notEqual(a.callId, b.callId);
    assert.deepEqual(a.peer, { address: "unix:" });
    assert.deepEqual(a.metadata, {});
  });
});
