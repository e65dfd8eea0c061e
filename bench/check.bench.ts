// Benchmark: in-process CheckResources over Cerbos's engine conformance cases (testdata/engine
// against testdata/store). Prints the median and 99th percentile time per decision (one input
// of one case, all its actions) after a warm-up. Run: node bench/check.bench.ts

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { compilePolicySet, createEngine } from "../src/authz/index.ts";
import { readPolicyRepository } from "../src/store/disk/index.ts";
import type { CheckInput } from "../src/authz/engine/types.ts";
import { testdata } from "../test/support/reference.ts";

/** `count` resource policies for kinds no request names, to show lookups do not scale with them. */
function unrelatedPolicies(count: number): { file: string; text: string }[] {
  return Array.from({ length: count }, (_, i) => ({
    file: `unrelated/kind_${i}.yaml`,
    text: `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: unrelated_kind_${i}
  version: default
  rules:
    - actions: ["view", "edit:*"]
      roles: ["employee", "user_${i % 97}"]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: R.attr.owner == P.id && R.attr.n${i % 13} > ${i}
`,
  }));
}

const store = await readPolicyRepository(testdata("store"));

function build(extra: number) {
  const start = process.hrtime.bigint();
  const { policySet, diagnostics } = compilePolicySet({
    ...store,
    policies: [...store.policies, ...unrelatedPolicies(extra)],
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (!policySet) {
    console.error(diagnostics.slice(0, 5));
    process.exit(1);
  }
  return {
    engine: createEngine(policySet, { globals: { environment: "test" } }),
    ms,
    count: policySet.policyKeys.length,
  };
}

const inputs: { name: string; input: CheckInput }[] = [];
const caseDir = testdata("engine");
for (const f of readdirSync(caseDir)
  .filter((n) => n.endsWith(".yaml"))
  .sort()) {
  const tc = parse(readFileSync(join(caseDir, f), "utf8")) as { inputs: CheckInput[] };
  tc.inputs.forEach((input, i) => inputs.push({ name: `${f}#${i}`, input }));
}

const WARMUP = 2_000;
const ROUNDS = 200;
const now = (): number => 1_700_000_000_000;

function measure(label: string, extra: number): void {
  const { engine, ms, count } = build(extra);
  for (let i = 0; i < WARMUP; i++) for (const { input } of inputs) engine.check([input], { now });
  const samples: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const { input } of inputs) {
      const t0 = process.hrtime.bigint();
      engine.check([input], { now });
      samples.push(Number(process.hrtime.bigint() - t0));
    }
  }
  samples.sort((a, b) => a - b);
  const pct = (p: number): number =>
    samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] as number;
  const fmt = (ns: number): string => (ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns} ns`);
  console.log(
    `${label}: ${count} policies compiled in ${ms.toFixed(0)} ms; ${samples.length} decisions (${inputs.length} inputs x ${ROUNDS})`,
  );
  console.log(
    `  median ${fmt(pct(0.5))}  p90 ${fmt(pct(0.9))}  p99 ${fmt(pct(0.99))}  max ${fmt(samples[samples.length - 1] as number)}`,
  );
}

measure("engine cases", 0);
measure("engine cases + 10,000 unrelated policies", 10_000);
