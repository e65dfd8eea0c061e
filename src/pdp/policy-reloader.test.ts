import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { Engine } from "../authz/index.ts";
import { GatehouseError } from "../kernel/errors.ts";
import { createLogger } from "../kernel/logger.ts";
import { noMetrics, type Metrics } from "../kernel/metrics.ts";
import { createPolicyReloader, type PolicyReloader } from "./policy-reloader.ts";

const policy = (effect: "EFFECT_ALLOW" | "EFFECT_DENY", kind = "doc"): string => `
apiVersion: api.cerbos.dev/v1
resourcePolicy:
  version: default
  resource: ${kind}
  rules:
    - actions: ["view"]
      roles: ["user"]
      effect: ${effect}
`;
const broken = `
apiVersion: api.cerbos.dev/v1
resourcePolicy:
  version: default
  resource: doc
  rules:
    - actions: ["view"]
      roles: ["user"]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: request.resource.attr.x ==
`;

const decide = (engine: Engine | undefined, kind = "doc"): string | undefined =>
  engine?.check([
    { principal: { id: "u", roles: ["user"] }, resource: { kind, id: "1" }, actions: ["view"] },
  ])[0]?.actions["view"]?.effect;

describe("createPolicyReloader", () => {
  let dir: string;
  let reloader: PolicyReloader | undefined;
  let logs: Record<string, unknown>[];
  let reloads: { ok: boolean; policies: number }[];
  const metrics: Metrics = {
    ...noMetrics,
    observeReload: (ok, policies) => void reloads.push({ ok, policies }),
  };
  const logger = () =>
    createLogger({ level: "debug", write: (l) => void logs.push(JSON.parse(l) as never) });
  const start = (watch = false) =>
    createPolicyReloader({
      directory: dir,
      watch,
      debounceMs: 30,
      engine: {},
      logger: logger(),
      metrics,
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "gatehouse-reload-"));
    logs = [];
    reloads = [];
  });
  afterEach(async () => {
    await reloader?.close();
    reloader = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it("loads, serves and reports status", async () => {
    writeFileSync(join(dir, "doc.yaml"), policy("EFFECT_ALLOW"));
    reloader = await start();
    assert.equal(decide(reloader.current()), "EFFECT_ALLOW");
    const st = reloader.status();
    assert.equal(st.serving, true);
    assert.equal(st.policies, 1);
    assert.equal(st.lastError, undefined);
    assert.deepEqual(reloads, [{ ok: true, policies: 1 }]);
  });

  it("refuses to start on policies that do not compile, as Cerbos does", async () => {
    writeFileSync(join(dir, "doc.yaml"), broken);
    await assert.rejects(start(), (e: unknown) => {
      assert.ok(e instanceof GatehouseError);
      assert.equal(e.code, "INVALID_POLICY");
      return true;
    });
    assert.deepEqual(reloads, [{ ok: false, policies: 0 }]);
    const line = logs.find((l) => l["msg"] === "policies failed to load");
    assert.match(String((line?.["problems"] as string[])[0]), /^doc\.yaml:\d+:\d+ /u);
  });

  it("keeps the last good set on a broken edit and recovers on the next good one", async () => {
    writeFileSync(join(dir, "doc.yaml"), policy("EFFECT_ALLOW"));
    reloader = await start();
    const before = reloader.current();
    writeFileSync(join(dir, "doc.yaml"), broken);
    assert.equal(await reloader.reload(), false);
    assert.equal(reloader.current(), before);
    assert.equal(decide(reloader.current()), "EFFECT_ALLOW");
    const st = reloader.status();
    assert.equal(st.serving, true);
    assert.ok(st.lastError);
    assert.match(st.lastError.problems[0] ?? "", /^doc\.yaml:\d+:\d+ /u);
    assert.ok(logs.some((l) => String(l["msg"]).startsWith("policy reload failed")));

    writeFileSync(join(dir, "doc.yaml"), policy("EFFECT_DENY"));
    assert.equal(await reloader.reload(), true);
    assert.equal(decide(reloader.current()), "EFFECT_DENY");
    assert.equal(reloader.status().lastError, undefined);
    assert.deepEqual(
      reloads.map((r) => r.ok),
      [true, false, true],
    );
  });

  it("never overlaps reloads: calls during one share a single follow-up", async () => {
    writeFileSync(join(dir, "doc.yaml"), policy("EFFECT_ALLOW"));
    reloader = await start();
    const a = reloader.reload();
    const b = reloader.reload();
    const c = reloader.reload();
    assert.notEqual(a, b);
    assert.equal(b, c);
    assert.deepEqual(await Promise.all([a, b, c]), [true, true, true]);
    // the initial load, the running reload and exactly one queued after it
    assert.equal(reloads.length, 3);
  });

  it("reloads on its own when watching, including files in new folders", async () => {
    writeFileSync(join(dir, "doc.yaml"), policy("EFFECT_ALLOW"));
    reloader = await start(true);
    const waitFor = async (pred: () => boolean): Promise<void> => {
      while (!pred()) await new Promise((r) => setTimeout(r, 20));
    };
    // an editor's rename-save
    writeFileSync(join(dir, ".doc.yaml.swp"), policy("EFFECT_DENY"));
    renameSync(join(dir, ".doc.yaml.swp"), join(dir, "doc.yaml"));
    await waitFor(() => decide(reloader?.current()) === "EFFECT_DENY");
    mkdirSync(join(dir, "more"));
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(join(dir, "more", "img.yaml"), policy("EFFECT_ALLOW", "img"));
    await waitFor(() => decide(reloader?.current(), "img") === "EFFECT_ALLOW");
    assert.equal(reloader.status().policies, 2);
  });
});
