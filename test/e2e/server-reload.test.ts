// Hot reload end to end (`storage.disk.watchForChanges: true` on a temporary policy folder): an
// edit changes the decision; a broken edit keeps the last good policies serving, and Gatehouse's
// GET /_gatehouse/status reports the problem; fixing the file recovers. Every wait is a poll
// against a deadline, never a sleep taken as an assertion.
//
// The same steps run against the real Cerbos, which behaves the same way for decisions (it keeps
// the last good policies on a broken edit); the status endpoint is Gatehouse's own.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { sleep, type PdpServer } from "../support/cerbos-server.ts";
import { serverTargets } from "../support/gatehouse-server.ts";

const policy = (effect: "EFFECT_ALLOW" | "EFFECT_DENY", extra = ""): string =>
  `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: report
  version: default
  rules:
    - actions: ["view"]
      effect: ${effect}
      roles: ["user"]
${extra}`;

const broken = `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: report
  version: default
  rules:
    - actions: ["view"]
      effect: EFFECT_ALLOW
      roles: ["user"]
      condition:
        match:
          expr: request.resource.attr.x ==
`;

const check = {
  principal: { id: "u1", roles: ["user"] },
  resources: [{ resource: { kind: "report", id: "r1" }, actions: ["view"] }],
};

/** Polls `probe` until it returns true, or fails with `what` after `ms`. */
async function eventually(what: string, probe: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await sleep(100);
  }
}

for (const target of serverTargets()) {
  describe(`hot reload: ${target.name}`, { skip: target.unavailable }, () => {
    let server: PdpServer;
    let dir: string;
    const file = (): string => join(dir, "report.yaml");
    const effect = async (): Promise<string | undefined> => {
      const res = await server.request("POST", "/api/check/resources", check);
      assert.equal(res.status, 200, res.text);
      return (res.json as { results: { actions: Record<string, string> }[] }).results[0]?.actions[
        "view"
      ];
    };
    const status = async (): Promise<Record<string, unknown>> => {
      const res = await server.request("GET", "/_gatehouse/status");
      assert.equal(res.status, 200, res.text);
      return res.json as Record<string, unknown>;
    };

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "gatehouse-reload-"));
      writeFileSync(file(), policy("EFFECT_ALLOW"));
      server = await target.start({
        policyDir: dir,
        config: { storage: { disk: { watchForChanges: true } } },
        // Cerbos reports a failed reload only in its log, as a warning
        logLevel: "warn",
      });
    });
    after(async () => {
      await server?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test("serves the initial policy", async () => {
      assert.equal(await effect(), "EFFECT_ALLOW");
      if (target.name === "gatehouse") assert.equal((await status())["lastError"], undefined);
    });

    test("an edit changes the decision", async () => {
      writeFileSync(file(), policy("EFFECT_DENY"));
      await eventually("the edit denies", async () => (await effect()) === "EFFECT_DENY");
    });

    test("a broken edit keeps the last good policies serving", async () => {
      writeFileSync(file(), broken);
      if (target.name === "gatehouse") {
        await eventually("/_gatehouse/status reports the broken file", async () => {
          const s = await status();
          const problems = (s["lastError"] as { problems?: unknown[] } | undefined)?.problems;
          return Array.isArray(problems) && problems.some((p) => String(p).includes("report.yaml"));
        });
      } else {
        // Cerbos reports the failure only in its log: wait for the watcher's cool-down to pass
        await eventually("cerbos logs the failed reload", () =>
          Promise.resolve(server.log().includes("report.yaml")),
        );
      }
      // the whole time, the previous set decides
      for (let i = 0; i < 5; i++) assert.equal(await effect(), "EFFECT_DENY");
      const health = await server.request("GET", "/_cerbos/health");
      assert.deepEqual(health.json, { status: "SERVING" });
    });

    test("fixing the file recovers", async () => {
      writeFileSync(
        file(),
        policy(
          "EFFECT_ALLOW",
          '    - actions: ["edit"]\n      effect: EFFECT_ALLOW\n      roles: ["user"]\n',
        ),
      );
      await eventually("the fix allows", async () => (await effect()) === "EFFECT_ALLOW");
      if (target.name === "gatehouse")
        await eventually(
          "/_gatehouse/status clears the error",
          async () => (await status())["lastError"] === undefined,
        );
    });
  });
}
