import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GatehouseError } from "../../kernel/errors.ts";
import { formatBoundAddress, parseListenAddress } from "./listen-address.ts";

describe("listen address", () => {
  it("parses Cerbos's forms", () => {
    assert.deepEqual(parseListenAddress(":3592"), { kind: "tcp", port: 3592 });
    assert.deepEqual(parseListenAddress("127.0.0.1:0"), {
      kind: "tcp",
      host: "127.0.0.1",
      port: 0,
    });
    assert.deepEqual(parseListenAddress("[::1]:80"), { kind: "tcp", host: "::1", port: 80 });
    assert.deepEqual(parseListenAddress("unix:/tmp/x.sock"), { kind: "unix", path: "/tmp/x.sock" });
  });

  it("refuses what is not an address, naming it", () => {
    for (const bad of ["3592", "host:", "host:99999", "host:http", "unix:"]) {
      assert.throws(
        () => parseListenAddress(bad),
        (e: unknown) => e instanceof GatehouseError && e.message.includes(`\`${bad}\``),
        bad,
      );
    }
  });

  it("formats bound addresses", () => {
    const tcp = { kind: "tcp", port: 0 } as const;
    assert.equal(
      formatBoundAddress({ address: "127.0.0.1", family: "IPv4", port: 5 }, tcp),
      "127.0.0.1:5",
    );
    assert.equal(formatBoundAddress({ address: "::", family: "IPv6", port: 5 }, tcp), "[::]:5");
    assert.equal(formatBoundAddress(null, { kind: "unix", path: "/s" }), "unix:/s");
  });
});
