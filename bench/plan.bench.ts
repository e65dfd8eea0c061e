// PlanResources benchmark, Gatehouse next to the real Cerbos in one run (`npm run bench:plan`):
//   1. in-process: `engine.plan` on Cerbos's engine test store and on the query planner's
//      policies: p50/p99 per plan for a few representative requests (a plan decided without a
//      condition, one no policy matches, the first conditional filter and the largest, all of a
//      kind's actions in one request), then every principal x kind x action of the store pooled;
//   2. over HTTP: `POST /api/plan/resources` with the same request bodies (round-robin) to both
//      servers on the same config file, one server at a time: requests per second and p50/p99
//      latency at 1 and at 32 connections, and Gatehouse's ratio to Cerbos. A server that does
//      not serve the endpoint yet is reported as "not served" instead of measured.
// Figures go to stdout, progress to stderr. The HTTP load comes from plan-load.ts in this
// process, on the same machine: compare the two servers' rows, not the absolute numbers.
//
//   GATEHOUSE_BENCH_SECONDS=N  seconds per HTTP run (default 5)

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { stringify } from "yaml";
import {
  compilePolicySet,
  createEngine,
  type Engine,
  type JsonValue,
  type PlanOutput,
} from "../src/index.ts";
import { readPolicyRepository } from "../src/store/disk/index.ts";
import {
  cerbosUnavailableReason,
  startCerbosServer,
  type PdpServer,
  type PdpServerOptions,
} from "../test/support/cerbos-server.ts";
import {
  gatehouseUnavailableReason,
  startGatehouseServer,
} from "../test/support/gatehouse-server.ts";
import { testdata } from "../test/support/reference.ts";
import {
  allActionsCases,
  catalogue,
  cerbosPlanBody,
  engineCasePrincipals,
  plannerSuiteCases,
  singleActionCases,
  type PlanCase,
} from "../test/differential/plan-workload.ts";
import {
  formatCount,
  formatDuration,
  percentile,
  sampleBatches,
  settleHeap,
} from "./batch-timing.ts";
import { runLoad, type LoadFigures } from "./plan-load.ts";

const seconds = Number(process.env["GATEHOUSE_BENCH_SECONDS"] ?? 5);
const storeGlobals: Record<string, JsonValue> = {
  environment: "test",
  my_map: { foo: ["a", "b"] },
};
/** A fixed clock, so conditions that read the time plan the same way on every run. */
const now = (): number => 1_700_000_000_000;

const progress = (line: string): void => void process.stderr.write(`${line}\n`);
const out = (line = ""): void => void process.stdout.write(`${line}\n`);

async function loadEngine(dir: string, globals: Record<string, JsonValue>): Promise<Engine> {
  const repo = await readPolicyRepository(dir);
  const { policySet, diagnostics } = compilePolicySet({
    policies: repo.policies,
    schemas: repo.schemas,
  });
  if (!policySet) throw new Error(`${dir} does not compile: ${JSON.stringify(diagnostics)}`);
  return createEngine(policySet, { globals });
}

/** A plan, or undefined when the planner throws on it (it is then left out of the picks). */
function tryPlan(engine: Engine, c: PlanCase): PlanOutput | undefined {
  try {
    return engine.plan(c.input, { now });
  } catch {
    return undefined;
  }
}

interface Pick {
  readonly name: string;
  readonly case: PlanCase;
  readonly filterDebug: string;
}

/** Representative requests among `cases`: what kinds of plan they give, as Gatehouse plans them. */
function pickRepresentative(
  engine: Engine,
  cases: readonly PlanCase[],
  wanted: readonly ("allowed" | "denied" | "nomatch" | "conditional" | "largest")[],
  prefix: string,
): Pick[] {
  const planned = cases
    .map((c) => ({ c, plan: tryPlan(engine, c) }))
    .filter((x): x is { c: PlanCase; plan: PlanOutput } => x.plan !== undefined);
  const picks: Pick[] = [];
  const add = (name: string, x: { c: PlanCase; plan: PlanOutput } | undefined): void => {
    if (x) picks.push({ name: `${prefix}${name}`, case: x.c, filterDebug: x.plan.filterDebug });
  };
  const conditional = planned.filter((x) => x.plan.filter.kind === "KIND_CONDITIONAL");
  for (const w of wanted) {
    if (w === "allowed")
      add(
        "always allowed",
        planned.find((x) => x.plan.filter.kind === "KIND_ALWAYS_ALLOWED"),
      );
    if (w === "denied")
      add(
        "always denied by a rule",
        planned.find(
          (x) => x.plan.filter.kind === "KIND_ALWAYS_DENIED" && x.plan.filterDebug !== "NO_MATCH",
        ),
      );
    if (w === "nomatch")
      add(
        "no policy matches",
        planned.find((x) => x.plan.filterDebug === "NO_MATCH"),
      );
    if (w === "conditional") add("first conditional", conditional[0]);
    if (w === "largest")
      add(
        "largest condition",
        conditional.reduce<(typeof conditional)[number] | undefined>(
          (best, x) =>
            best === undefined || x.plan.filterDebug.length > best.plan.filterDebug.length
              ? x
              : best,
          undefined,
        ),
      );
  }
  return picks;
}

// Results go somewhere observable, so the JIT cannot drop a call as dead code.
let _sink: unknown;

interface InProcessFigures {
  readonly p50: number;
  readonly p99: number;
  readonly perSecond: number;
  readonly samples: number;
  readonly batch: string;
}

function measurePick(engine: Engine, c: PlanCase): InProcessFigures {
  settleHeap();
  const s = sampleBatches(
    () => {
      _sink = engine.plan(c.input, { now });
    },
    { warmupMs: 500, samples: 300 },
  );
  return {
    p50: percentile(s.perCallNs, 0.5),
    p99: percentile(s.perCallNs, 0.99),
    perSecond: (s.calls / s.elapsedNs) * 1e9,
    samples: s.perCallNs.length,
    batch: String(s.batch),
  };
}

/** Every case sampled on its own (short samples), all samples pooled. */
function measurePooled(engine: Engine, cases: readonly PlanCase[]): InProcessFigures {
  settleHeap();
  sampleBatches(
    () => {
      for (const c of cases) _sink = tryPlan(engine, c);
    },
    { warmupMs: 1_000, samples: 0, batch: 1 },
  );
  const all: number[] = [];
  let calls = 0;
  let elapsed = 0;
  const batches: number[] = [];
  for (const c of cases) {
    const s = sampleBatches(
      () => {
        _sink = tryPlan(engine, c);
      },
      { warmupMs: 2, samples: 20, sampleNs: 100_000 },
    );
    all.push(...s.perCallNs);
    calls += s.calls;
    elapsed += s.elapsedNs;
    batches.push(s.batch);
  }
  all.sort((a, b) => a - b);
  return {
    p50: percentile(all, 0.5),
    p99: percentile(all, 0.99),
    perSecond: (calls / elapsed) * 1e9,
    samples: all.length,
    batch: `${Math.min(...batches)}-${Math.max(...batches)}`,
  };
}

function printInProcess(name: string, f: InProcessFigures): void {
  out(
    `  ${name.padEnd(44)} p50 ${formatDuration(f.p50).padStart(9)}  p99 ${formatDuration(f.p99).padStart(9)}  ${formatCount(f.perSecond).padStart(9)} plans/s  (${formatCount(f.samples)} samples of ${f.batch})`,
  );
}

/** Every `step`-th element, so a pooled run stays a few seconds long. */
const thin = <T>(items: readonly T[], max: number): T[] => {
  const step = Math.max(1, Math.ceil(items.length / max));
  return items.filter((_, i) => i % step === 0);
};

type HttpResult =
  | {
      readonly served: true;
      readonly one: LoadFigures;
      readonly many: LoadFigures;
      /** `GET /_cerbos/health` at one connection: what the transport alone costs. */
      readonly health: LoadFigures;
    }
  | { readonly served: false; readonly reason: string };

/** What is compared of an HTTP plan answer. */
const planOf = (json: unknown): unknown => {
  const o = (json ?? {}) as { filter?: unknown; meta?: { filterDebug?: unknown } };
  return { filter: o.filter, filterDebug: o.meta?.filterDebug };
};

async function measureServer(
  name: string,
  start: (o: PdpServerOptions) => Promise<PdpServer>,
  opts: PdpServerOptions,
  bodies: readonly string[],
  answers: unknown[],
): Promise<HttpResult> {
  progress(`${name}: starting and measuring (${seconds}s per run)...`);
  let server: PdpServer;
  try {
    server = await start(opts);
  } catch (e) {
    return {
      served: false,
      reason: `did not start: ${(e instanceof Error ? e.message : String(e)).split("\n")[0] ?? ""}`,
    };
  }
  try {
    for (const [i, body] of bodies.entries()) {
      const r = await server.request("POST", "/api/plan/resources", body);
      if (r.status !== 200)
        return {
          served: false,
          reason: `HTTP ${r.status}: ${r.text.replace(/\s+/gu, " ").slice(0, 200)}`,
        };
      answers[i] = planOf(r.json);
    }
    const url = `${server.httpUrl}/api/plan/resources`;
    // warm-up: JIT, connection pools, caches
    await runLoad(url, bodies, 32, Math.max(2, Math.ceil(seconds / 3)));
    const many = await runLoad(url, bodies, 32, seconds);
    const one = await runLoad(url, bodies, 1, seconds);
    const health = await runLoad(
      `${server.httpUrl}/_cerbos/health`,
      [],
      1,
      Math.max(1, seconds / 2),
    );
    return { served: true, one, many, health };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<number> {
  const storeDir = testdata("store");
  const qpDir = testdata("query_planner", "policies");
  const store = await loadEngine(storeDir, storeGlobals);
  const qp = await loadEngine(qpDir, { environment: "test" });
  const repo = await readPolicyRepository(storeDir);
  const cat = catalogue(repo.policies);
  const principals = engineCasePrincipals();
  const storeSingle = singleActionCases(principals, cat);
  const storeAll = allActionsCases(principals, cat);

  // a planner that refuses everything has nothing to measure
  const probe = storeSingle[0];
  if (probe) {
    try {
      store.plan(probe.input, { now });
    } catch (e) {
      out(`engine.plan is not available: ${e instanceof Error ? e.message : String(e)}`);
      return 1;
    }
  }

  progress("picking representative requests...");
  const storePicks = [
    ...pickRepresentative(
      store,
      storeSingle,
      ["allowed", "denied", "nomatch", "conditional", "largest"],
      "store: ",
    ),
    ...pickRepresentative(store, storeAll, ["largest"], "store, all actions: "),
  ];
  const qpPicks = pickRepresentative(
    qp,
    plannerSuiteCases(),
    ["conditional", "largest"],
    "query planner: ",
  );

  out("\nPlanResources in-process (engine.plan), per plan:");
  for (const p of storePicks) printInProcess(p.name, measurePick(store, p.case));
  for (const p of qpPicks) printInProcess(p.name, measurePick(qp, p.case));
  const pooled = thin(storeSingle, 600);
  printInProcess(
    `store: ${pooled.length} of ${storeSingle.length} principal x kind x action, pooled`,
    measurePooled(store, pooled),
  );
  out("\nThe representative requests:");
  for (const p of [...storePicks, ...qpPicks])
    out(
      `  ${p.name}: ${p.case.label}\n    -> ${p.filterDebug.length > 160 ? `${p.filterDebug.slice(0, 160)}…` : p.filterDebug}`,
    );
  _sink = undefined;

  const cerbosMissing = cerbosUnavailableReason();
  if (cerbosMissing) {
    out(`\ncerbos: not available (${cerbosMissing}); HTTP comparison skipped`);
    return 0;
  }
  const work = mkdtempSync(join(tmpdir(), "gatehouse-plan-bench-"));
  try {
    const configFile = join(work, "config.yaml");
    writeFileSync(
      configFile,
      stringify({
        server: { httpListenAddr: "127.0.0.1:0", grpcListenAddr: "127.0.0.1:0" },
        storage: { driver: "disk", disk: { directory: storeDir, watchForChanges: false } },
        engine: { globals: storeGlobals },
        schema: { enforcement: "none" },
        audit: { enabled: false },
      }),
    );
    const bodies = storePicks.map((p) => JSON.stringify(cerbosPlanBody(p.case)));
    const opts: PdpServerOptions = { configFile };
    const cerbosAnswers: unknown[] = [];
    const gatehouseAnswers: unknown[] = [];
    const cerbos = await measureServer("cerbos", startCerbosServer, opts, bodies, cerbosAnswers);
    const gatehouseMissing = gatehouseUnavailableReason();
    const gatehouse: HttpResult = gatehouseMissing
      ? { served: false, reason: gatehouseMissing }
      : await measureServer("gatehouse", startGatehouseServer, opts, bodies, gatehouseAnswers);

    const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : "-");
    const header = [
      "",
      "req/s (1 conn)",
      "p50 ms",
      "p99 ms",
      "req/s (32 conn)",
      "p50 ms",
      "p99 ms",
    ];
    const row = (name: string, r: HttpResult): string[] =>
      r.served
        ? [
            name,
            fmt(r.one.rps),
            fmt(r.one.p50Ms, 3),
            fmt(r.one.p99Ms, 3),
            fmt(r.many.rps),
            fmt(r.many.p50Ms, 3),
            fmt(r.many.p99Ms, 3),
          ]
        : [name, "not served", "", "", "", "", ""];
    const rows = [header, row("cerbos", cerbos), row("gatehouse", gatehouse)];
    if (cerbos.served && gatehouse.served) {
      const x = (a: number, b: number): string => `${fmt(a / b, 2)}x`;
      rows.push([
        "gatehouse / cerbos",
        x(gatehouse.one.rps, cerbos.one.rps),
        x(gatehouse.one.p50Ms, cerbos.one.p50Ms),
        x(gatehouse.one.p99Ms, cerbos.one.p99Ms),
        x(gatehouse.many.rps, cerbos.many.rps),
        x(gatehouse.many.p50Ms, cerbos.many.p50Ms),
        x(gatehouse.many.p99Ms, cerbos.many.p99Ms),
      ]);
    }
    const widths = header.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
    out(
      `\nPlanResources over HTTP, testdata/store, ${bodies.length} request bodies round-robin (the store requests above), ${seconds}s per run:`,
    );
    for (const r of rows)
      out(
        `  ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join("  ")}`,
      );
    for (const [name, r] of [
      ["cerbos", cerbos],
      ["gatehouse", gatehouse],
    ] as const) {
      if (!r.served) {
        out(`  ${name}: not served (${r.reason})`);
        continue;
      }
      out(
        `  ${name}: transport alone (GET /_cerbos/health, 1 conn): p50 ${fmt(r.health.p50Ms, 3)} ms, p99 ${fmt(r.health.p99Ms, 3)} ms`,
      );
      if (r.one.failures + r.many.failures > 0)
        out(`  ${name}: ${r.one.failures + r.many.failures} answers were not 200`);
    }
    if (cerbos.served && gatehouse.served) {
      const differ = bodies.filter(
        (_, i) => !isDeepStrictEqual(cerbosAnswers[i], gatehouseAnswers[i]),
      );
      out(
        differ.length === 0
          ? "  both servers gave the same filter and filterDebug for every body"
          : `  NOTE: ${differ.length} of ${bodies.length} bodies got a different filter or filterDebug from the two servers`,
      );
    }
    return 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = await main();
