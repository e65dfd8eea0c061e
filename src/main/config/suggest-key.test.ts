import assert from "node:assert/strict";
import { test } from "node:test";
import { closestKey } from "./suggest-key.ts";

test("close misspellings get a suggestion, distant words do not", () => {
  const keys = ["httpListenAddr", "grpcListenAddr", "tls", "requestLimits"];
  assert.equal(closestKey("httpListenAdr", keys), "httpListenAddr");
  assert.equal(closestKey("HTTPLISTENADDR", keys), "httpListenAddr");
  assert.equal(closestKey("tsl", keys), "tls");
  assert.equal(closestKey("somethingElse", keys), undefined);
});
