import assert from "node:assert/strict";
import { test } from "node:test";
import { parseListenAddress } from "./listen-address.ts";

test("host:port, :port, [v6]:port and unix:/path are listen addresses", () => {
  assert.deepEqual(parseListenAddress(":3592"), { kind: "tcp", host: "", port: 3592 });
  assert.deepEqual(parseListenAddress("127.0.0.1:0"), { kind: "tcp", host: "127.0.0.1", port: 0 });
  assert.deepEqual(parseListenAddress("localhost:80"), {
    kind: "tcp",
    host: "localhost",
    port: 80,
  });
  assert.deepEqual(parseListenAddress("[::1]:3593"), { kind: "tcp", host: "::1", port: 3593 });
  assert.deepEqual(parseListenAddress("unix:/run/g.sock"), { kind: "unix", path: "/run/g.sock" });
});

function problem(value: string): string {
  const parsed = parseListenAddress(value);
  return typeof parsed === "string" ? parsed : "";
}

test("anything else is refused with what was expected", () => {
  assert.match(problem("3592"), /has no port/);
  assert.match(problem(":99999"), /is not a port number/);
  assert.match(problem("::1:80"), /IPv6 host without brackets/);
  assert.match(problem("unix:"), /names no socket path/);
  assert.match(problem("a b:1"), /is not a host name/);
});
