// Benchmark: in-process decisions and policy loading, all in one run (`npm run bench`):
//   1. the README's example request on examples/policies (`loadPolicies` + `check`): p50 and
//      p99 per check, decisions per second on one thread;
//   2. Cerbos's engine conformance cases (testdata/engine on testdata/store);
//   3. both again on a set with 10,000 generated, unrelated policies beside them (seeded, see
//      synthetic-policies.ts), measured in a fresh process (scale-run.ts) so both sides start
//      from the same JIT state, and the ratios to the small sets;
//   4. reading and compiling that folder (`loadPolicies(dir)`) next to the real
//      `cerbos compile --skip-tests` on the same folder.
// Figures go to stdout, progress to stderr. What each figure means: bench/README.md.

import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { compilePolicySet, createEngine, loadPolicies } from "../src/index.ts";
import { readPolicyRepository } from "../src/store/disk/index.ts";
import { cerbosBinary, cerbosUnavailableReason } from "../test/support/cerbos-server.ts";
import { repoRoot, testdata } from "../test/support/reference.ts";
import { formatCount, formatDuration, percentile } from "./batch-timing.ts";
import { pinToOneCpu, type Pinning } from "./cpu-pinning.ts";
import {
  engineCaseInputs,
  engineOptions,
  measureEngineCases,
  measureReadme,
  now,
  readmeInput,
  readmeMismatch,
  type Check,
  type Figures,
} from "./decision-workloads.ts";
import type { ScaleReport } from "./scale-run.ts";
import { generatePolicies, type GeneratedPolicy } from "./synthetic-policies.ts";

const POLICIES = Number(process.env["GATEHOUSE_BENCH_POLICIES"] ?? 10_000);
/** Timed runs of each load and compile, median reported. One by default: on 10,000 policies
 * `cerbos compile` alone takes over a minute. */
const RUNS = Math.max(1, Math.floor(Number(process.env["GATEHOUSE_BENCH_RUNS"] ?? 1)) || 1);
const SEED = 20_240_601;
const SCALE_TARGET = 1.5;

const examplesDir = join(repoRoot, "examples/policies");
const scaleRun = join(dirname(fileURLToPath(import.meta.url)), "scale-run.ts");

const progress = (line: string): void => void process.stderr.write(`${line}\n`);
const out = (line = ""): void => void process.stdout.write(`${line}\n`);
let failed = false;
const fail = (line: string): void => {
  failed = true;
  out(`  FAILED: ${line}`);
};

function printFigures(unit: string, f: Figures): void {
  out(
    `  p50 ${formatDuration(f.p50)}  p99 ${formatDuration(f.p99)} per ${unit};  ` +
      `${formatCount(f.decisionsPerSecond)} decisions/s  ` +
      `(${formatCount(f.samples)} samples of ${f.batch} calls)`,
  );
  if (f.roundP50s !== undefined)
    out(`  p50 of each round: ${f.roundP50s.map(formatDuration).join(", ")}`);
}

function printRatio(label: string, big: Figures, small: Figures, target?: number): void {
  const ratio = big.p50 / small.p50;
  const verdict =
    target === undefined
      ? ""
      : ` (target at most ${target}x: ${ratio <= target ? "met" : "NOT met"})`;
  out(`  p50 ratio to ${label}: ${ratio.toFixed(2)}x${verdict}`);
}

const median = (values: readonly number[]): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );

/**
 * Cerbos's test store at the root (its `_schemas` must sit there), the example under
 * `examples/`, the generated policies under `generated/`. The three share no policy names, so
 * one compiled set serves both the README request and the engine cases.
 */
function writeScaleFolder(dir: string, policies: readonly GeneratedPolicy[]): void {
  cpSync(testdata("store"), dir, { recursive: true });
  cpSync(examplesDir, join(dir, "examples"), { recursive: true });
  for (const p of policies) {
    const file = join(dir, "generated", p.file);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, p.text);
  }
}

function runScale(dir: string): ScaleReport | undefined {
  const r = spawnSync(process.execPath, [scaleRun, dir, String(RUNS)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status === 0) return JSON.parse(r.stdout) as ScaleReport;
  fail(`bench/scale-run.ts failed (exit ${String(r.status ?? r.signal)})`);
  return undefined;
}

function cerbosVersion(): string {
  const r = spawnSync(cerbosBinary, ["--version"], { encoding: "utf8" });
  return /^\S+/.exec(r.stdout)?.[0] ?? "?";
}

/** Wall time of one `cerbos compile --skip-tests dir` process, or why it failed. */
function timeCerbosCompile(dir: string): { ns: number } | { error: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cerbosBinary, ["compile", "--skip-tests", dir], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  const ns = Number(process.hrtime.bigint() - t0);
  if (r.status === 0) return { ns };
  const said = `${r.stdout}${r.stderr}`.split("\n").slice(0, 20).join("\n    ");
  return { error: `exit ${String(r.status ?? r.signal)}:\n    ${said}` };
}

function compareWithCerbos(dir: string, gatehouseNs: number): void {
  const missing = cerbosUnavailableReason();
  if (missing) {
    out(`  cerbos compile: skipped (${missing})`);
    return;
  }
  const version = cerbosVersion();
  const cerbosNs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    progress(`cerbos compile --skip-tests (run ${r + 1} of ${RUNS})...`);
    const result = timeCerbosCompile(dir);
    if ("error" in result) {
      fail(`cerbos compile rejected the folder, ${result.error}`);
      return;
    }
    cerbosNs.push(result.ns);
  }
  const cerbos = median(cerbosNs);
  out(
    `  cerbos ${version} compile --skip-tests DIR (a new process; exit 0): ${formatDuration(cerbos)}` +
      (RUNS > 1 ? `  (runs: ${cerbosNs.map(formatDuration).join(", ")})` : ""),
  );
  out(
    `  gatehouse / cerbos: ${(gatehouseNs / cerbos).toFixed(2)}x` +
      ` (cerbos takes ${(cerbos / gatehouseNs).toFixed(1)}x as long)`,
  );
}

function printHeader(pinning: Pinning): void {
  const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
  out(
    `Gatehouse in-process benchmark: Node ${process.version}, ${process.platform}-${process.arch}, ${cpu}`,
  );
  out(`CPUs: ${pinning.description}; cerbos compile runs on all of them.`);
  out(
    "Timing: each sample times a batch of consecutive check() calls with process.hrtime.bigint()",
  );
  out(
    "and divides by the batch size (reading the clock costs 50-100 ns); p50 and p99 are over these",
  );
  out("per-call averages, so one slow call (a GC pause) is spread over its batch. A check is one");
  out("principal, one resource and its actions; decisions/s counts actions decided per second of");
  out("timed calls, on one thread.");
  out();
}

async function main(): Promise<void> {
  const started = process.hrtime.bigint();
  const pinning = pinToOneCpu();
  printHeader(pinning);

  progress("README example: loading examples/policies and measuring...");
  const example = await loadPolicies(examplesDir, engineOptions);
  const exampleCheck: Check = (inputs) => example.check(inputs, { now });
  const exampleResult = exampleCheck([readmeInput])[0];
  out("1. README example: examples/policies, alice (user) on document `archive`, view/edit/delete");
  out(
    "   (derived role `owner`, an any-of condition, a deny with an output), loadPolicies + check",
  );
  const mismatch = readmeMismatch(exampleResult);
  if (mismatch) fail(`wrong answer: ${mismatch}`);
  const readme = measureReadme(exampleCheck);
  printFigures("check (3 actions)", readme);
  out();

  progress("engine cases: compiling testdata/store and measuring...");
  const store = await readPolicyRepository(testdata("store"));
  const t0 = process.hrtime.bigint();
  const { policySet, diagnostics } = compilePolicySet({
    policies: store.policies,
    schemas: store.schemas,
  });
  const storeNs = Number(process.hrtime.bigint() - t0);
  const inputs = engineCaseInputs();
  out("2. Cerbos engine cases: testdata/engine on testdata/store (global `environment: test`)");
  out(
    `   ${store.policies.length} policy files compiled in ${formatDuration(storeNs)}; ` +
      `${inputs.length} inputs of 1-${Math.max(...inputs.map((i) => i.actions.length))} actions, ` +
      "each sampled on its own, samples pooled",
  );
  let cases: Figures | undefined;
  if (policySet) {
    const engine = createEngine(policySet, engineOptions);
    cases = measureEngineCases((batch) => engine.check(batch, { now }));
    printFigures("check", cases);
  } else {
    fail(`testdata/store does not compile: ${JSON.stringify(diagnostics.slice(0, 3))}`);
  }
  out();

  const generated = generatePolicies(POLICIES, SEED);
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-bench-"));
  const cleanUp = (): void => rmSync(dir, { recursive: true, force: true });
  process.once("SIGINT", () => {
    cleanUp();
    process.exit(130);
  });
  try {
    writeScaleFolder(dir, generated);
    const files = (await readPolicyRepository(dir)).policies.length;
    const unrelated = files - (await readPolicyRepository(examplesDir)).policies.length;
    const scale = runScale(dir);
    out(
      `3. Scale: the same workloads on one set of ${formatCount(files)} policy files: the example, ` +
        `${formatCount(generated.length)} generated`,
    );
    out(
      `   (seeded: resource policies with derived roles, variables, constants, conditions, outputs,`,
    );
    out(
      `   scopes and versions; principal policies) and Cerbos's test store; measured in a new process`,
    );
    if (scale) {
      if (!isDeepStrictEqual(scale.readmeResult, JSON.parse(JSON.stringify(exampleResult))))
        fail("the README example answers differently on the large set");
      out(`   README example with ${formatCount(unrelated)} unrelated policies in the set:`);
      printFigures("check (3 actions)", scale.readme);
      printRatio("the small set", scale.readme, readme, SCALE_TARGET);
      out("   engine cases with the example and the generated policies in the set:");
      printFigures("check", scale.cases);
      if (cases) printRatio("the cases alone", scale.cases, cases);
    }
    out();

    out(
      `4. Load and compile those ${formatCount(files)} policy files from disk ` +
        `(${RUNS === 1 ? "1 run" : `median of ${RUNS} runs`} each)`,
    );
    if (scale) {
      const gatehouseNs = median(scale.loadNs);
      out(
        `  gatehouse loadPolicies(dir), in a fresh process:              ${formatDuration(gatehouseNs)}` +
          (RUNS > 1 ? `  (runs: ${scale.loadNs.map(formatDuration).join(", ")})` : ""),
      );
      // Cerbos compiles on several threads: it gets every CPU the benchmark was given.
      pinning.release();
      compareWithCerbos(dir, gatehouseNs);
    }
    out();
  } finally {
    cleanUp();
  }
  out(`Total time: ${formatDuration(Number(process.hrtime.bigint() - started))}`);
  if (failed) process.exitCode = 1;
}

await main();
