import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { UsageError } from "../cli-io.ts";
import { parseServerArgs } from "./server-args.ts";

describe("gatehouse server flags", () => {
  test("reads --config, repeated --set and --log-level in both spellings", () => {
    assert.deepEqual(
      parseServerArgs([
        "--config=conf.yaml",
        "--set",
        "server.httpListenAddr=:4000",
        "--set=engine.defaultPolicyVersion=staging",
        "--log-level",
        "DEBUG",
      ]),
      {
        config: "conf.yaml",
        sets: ["server.httpListenAddr=:4000", "engine.defaultPolicyVersion=staging"],
        logLevel: "debug",
      },
    );
  });

  test("--help wins over everything else", () => {
    assert.equal(parseServerArgs(["--config=x", "--help"]), "help");
    assert.equal(parseServerArgs(["-h"]), "help");
  });

  test("unknown flags, stray arguments, missing values and bad levels are usage errors", () => {
    for (const argv of [["--port=1"], ["policies"], ["--config"], ["--log-level=loud"]]) {
      assert.throws(() => parseServerArgs(argv), UsageError, argv.join(" "));
    }
  });
});
