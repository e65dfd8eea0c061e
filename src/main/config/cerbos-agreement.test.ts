// Differential check: the real Cerbos server and loadConfig read the same config file, the same
// environment and the same `--set` arguments into the same `engine.globals` (which a policy
// echoes back as an output), so interpolation and override typing match Cerbos's.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { cerbosUnavailableReason, startCerbosServer } from "../../../test/support/cerbos-server.ts";
import { loadConfig } from "./index.ts";

const skip = cerbosUnavailableReason();
const work = mkdtempSync(join(tmpdir(), "gatehouse-config-agreement-"));
after(() => rmSync(work, { recursive: true, force: true }));

test(
  "Cerbos and Gatehouse read interpolated values and --set overrides alike",
  { skip },
  async () => {
    const policyDir = join(work, "policies");
    mkdirSync(policyDir);
    writeFileSync(
      join(policyDir, "echo.yaml"),
      [
        "apiVersion: api.cerbos.dev/v1",
        "resourcePolicy:",
        "  resource: echo",
        "  version: default",
        "  rules:",
        "    - actions: [show]",
        "      effect: EFFECT_ALLOW",
        "      roles: ['*']",
        "      output:",
        "        when:",
        "          ruleActivated: G",
      ].join("\n"),
    );
    const configFile = join(work, "config.yaml");
    writeFileSync(
      configFile,
      [
        "# ${NOT_SET_IN_A_COMMENT} is never expanded",
        "storage:",
        "  driver: disk",
        "  disk:",
        `    directory: ${policyDir}`,
        "engine:",
        "  globals:",
        "    structured: ${JSON_VALUE}",
        '    quotedNumber: "${NUMBER}"',
        "    fallback: ${NOT_SET:fall:back}",
        '    emptyDefault: ${NOT_SET:""}',
        "    literal: 'cost $$5'",
        "    flag: ${FLAG:yes}",
        "    octal: 017",
        "    text: pre-${NUMBER}-post",
        "    list: [a, b, c]",
      ].join("\n"),
    );
    const env = { JSON_VALUE: '{"a": [1, "x"]}', NUMBER: "42", HOSTX: "box" };
    const sets = [
      "engine.globals.float=1.5",
      "engine.globals.leadingZero=010",
      "engine.globals.upper=TRUE",
      "engine.globals.fromEnv=$HOSTX",
      "engine.globals.list[1]=z",
      "engine.globals.one=1,engine.globals.two=two",
    ];

    const ours = loadConfig({ file: configFile, sets, env, cwd: work }).config.engine.globals;

    const cerbos = await startCerbosServer({ configFile, sets, env });
    try {
      const answer = await cerbos.checkResources({
        principal: { id: "p", roles: ["user"] },
        resources: [{ resource: { kind: "echo", id: "1" }, actions: ["show"] }],
      });
      assert.equal(answer.status, 200, cerbos.log());
      const results = answer.body["results"] as { outputs: { val: unknown }[] }[];
      const theirs = results[0]?.outputs[0]?.val;
      assert.deepEqual(ours, theirs);
      // And the values are the surprising ones Cerbos produces, not merely equal.
      assert.equal(ours["quotedNumber"], 42);
      assert.equal(ours["float"], "1.5");
      assert.deepEqual(ours["list"], [null, "z"]);
    } finally {
      await cerbos.stop();
    }
  },
);

test("Cerbos starts from the bundled example config too", { skip }, async () => {
  const cerbos = await startCerbosServer({ configFile: "examples/gatehouse.yaml" });
  try {
    const health = await cerbos.request("GET", "/_cerbos/health");
    assert.equal(health.status, 200, cerbos.log());
  } finally {
    await cerbos.stop();
  }
});
