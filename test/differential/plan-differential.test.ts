// Differential test of PlanResources against the real Cerbos 0.55: the same plan requests to the
// Cerbos server (`POST /api/plan/resources`, includeMeta) and to Gatehouse's engine.plan, and the
// filter (kind and condition tree), filterDebug and matched scopes compared. Workloads:
//   - Cerbos's engine test store (testdata/store, the globals of its engine tests): every
//     principal of the engine cases x every kind/version/scope the policies name x every action
//     they name for the kind plus one they do not, one action per request; the same with all the
//     kind's actions in one request; and each engine case input with its resource attributes.
//   - The query planner's policies (testdata/query_planner/policies) with the principals of its
//     suites, the same cross product, and each suite test as a request (strict and lenient scope
//     search), with the suites' JWT (`customInt: 42`) signed for Cerbos.
//   - Generated policy sets (policy-set-generator.ts) and principals, resources and actions from
//     generated requests, resource attributes known on half of them.
//   - Over HTTP: the Gatehouse server and the Cerbos server started from one config file on the
//     store, a sample of the store's requests to both, whole response bodies compared.
// Disagreements are grouped by category with examples (plan-differential-run.ts); those that
// plan-known-divergences.ts explains are reported as todo.
//
//   GATEHOUSE_PLAN_DIFF_SHOW=N         mismatches printed in full (default 15)
//   GATEHOUSE_PLAN_DIFF_CONCURRENCY=N  requests in flight (default 4)
//   GATEHOUSE_PLAN_DIFF_SETS=N         generated policy sets (default 6)
//   GATEHOUSE_PLAN_DIFF_SEED=S         base seed of the generated sets (default fixed)
//   GATEHOUSE_PLAN_DIFF_EVERY=N        keep every Nth case of the cross products (default 1: all)

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { stringify } from "yaml";
import { compilePolicySet, createEngine, type Engine } from "../../src/authz/index.ts";
import type { JsonValue } from "../../src/authz/policy/model.ts";
import { readPolicyRepository } from "../../src/store/disk/index.ts";
import {
  cerbosUnavailableReason,
  compileWithCerbos,
  startCerbosServer,
  type PdpServer,
} from "../support/cerbos-server.ts";
import { gatehouseUnavailableReason, startGatehouseServer } from "../support/gatehouse-server.ts";
import { testdata } from "../support/reference.ts";
import { globals as generatedGlobals } from "./differential-run.ts";
import { createJwtSigner } from "./jwt-signer.ts";
import {
  comparePlanCases,
  compareServerCases,
  mismatchReport,
  summaryLine,
  type PlanRunResult,
} from "./plan-differential-run.ts";
import {
  allActionsCases,
  catalogue,
  engineCasePrincipals,
  engineInputCases,
  generatedCases,
  plannerSuiteCases,
  plannerSuitePrincipals,
  singleActionCases,
  type PlanAuxData,
  type PlanCase,
} from "./plan-workload.ts";
import { generatePolicySet, type GeneratedPolicySet } from "./policy-set-generator.ts";
import { sampleWith } from "./random-choice.ts";
import { generateRequests } from "./request-generator.ts";

const show = Number(process.env["GATEHOUSE_PLAN_DIFF_SHOW"] ?? 15);
const concurrency = Number(process.env["GATEHOUSE_PLAN_DIFF_CONCURRENCY"] ?? 4);
const setCount = Number(process.env["GATEHOUSE_PLAN_DIFF_SETS"] ?? 6);
const seed = Number(process.env["GATEHOUSE_PLAN_DIFF_SEED"] ?? 20261207);
/** Keep every Nth case of the large cross products (1: all of them). */
const every = Math.max(1, Number(process.env["GATEHOUSE_PLAN_DIFF_EVERY"] ?? 1));
const options = { concurrency, retries: 2 };
const thin = <T>(items: readonly T[], n = every): T[] => items.filter((_, i) => i % n === 0);
const timeout = 600_000;

const skip = cerbosUnavailableReason() ?? false;
if (skip) console.log(`# plan differential test skipped: ${skip}`);

/** Cerbos with the decision log off: tens of thousands of plans would only fill a file. */
const quiet = { audit: { enabled: false }, schema: { enforcement: "none" } };

/** Reports a run: known divergences as todo subtests (one per reason), mismatches as a failure. */
async function judge(
  t: TestContext,
  title: string,
  result: PlanRunResult,
  context = "",
): Promise<void> {
  const line = summaryLine(title, result);
  t.diagnostic(line);
  console.log(`# ${line}`);
  const byReason = new Map<string, PlanRunResult["known"][number][]>();
  for (const k of result.known) byReason.set(k.reason, [...(byReason.get(k.reason) ?? []), k]);
  for (const [reason, list] of byReason)
    await t.test(
      `known divergence: ${reason}`,
      { todo: `${list.length} case(s), e.g. ${list[0]?.case.label ?? ""}` },
      () => undefined,
    );
  // a comparison of refusals alone would prove little
  assert.ok(result.cases > result.cerbosRefused, "cerbos refused every request");
  if (result.mismatches.length > 0) {
    const report = mismatchReport(result.mismatches, show);
    console.log(`\n==== ${title}\n${report}\n${context}`);
    assert.fail(
      `${result.mismatches.length} of ${result.cases} plans differ from cerbos:\n${report}`,
    );
  }
}

async function compare(
  t: TestContext,
  title: string,
  server: PdpServer | undefined,
  engine: Engine | undefined,
  cases: readonly PlanCase[],
  /** More to print about the first mismatch (the policies of a generated set). */
  context: (first: PlanCase) => string = () => "",
): Promise<void> {
  assert.ok(server && engine, "the servers did not start");
  const result = await comparePlanCases(server, engine, cases, options);
  await judge(t, title, result, result.mismatches[0] ? context(result.mismatches[0].case) : "");
}

async function loadEngine(
  dir: string,
  engineOptions: Parameters<typeof createEngine>[1],
): Promise<Engine> {
  const repo = await readPolicyRepository(dir);
  const { policySet, diagnostics } = compilePolicySet({
    policies: repo.policies,
    schemas: repo.schemas,
  });
  assert.ok(policySet, `gatehouse rejects ${dir}: ${JSON.stringify(diagnostics)}`);
  return createEngine(policySet, engineOptions);
}

describe("plan differential: cerbos's engine test store", { skip }, () => {
  const dir = testdata("store");
  const globals = { environment: "test", my_map: { foo: ["a", "b"] } };
  let cerbos: PdpServer | undefined;
  let engine: Engine | undefined;
  let cases: { single: PlanCase[]; all: PlanCase[] } = { single: [], all: [] };
  before(async () => {
    engine = await loadEngine(dir, { globals });
    const repo = await readPolicyRepository(dir);
    const cat = catalogue(repo.policies);
    const principals = engineCasePrincipals();
    cases = {
      single: thin(singleActionCases(principals, cat)),
      all: thin(allActionsCases(principals, cat)),
    };
    cerbos = await startCerbosServer({ policyDir: dir, config: { ...quiet, engine: { globals } } });
  });
  after(async () => {
    await cerbos?.stop();
  });

  it("every principal x kind x action, one action at a time", { timeout }, async (t) => {
    await compare(t, "store, one action", cerbos, engine, cases.single);
  });
  it("every principal x kind with all its actions in one request", { timeout }, async (t) => {
    await compare(t, "store, all actions", cerbos, engine, cases.all);
  });
  it("each engine case input, its resource attributes known", { timeout }, async (t) => {
    await compare(t, "store, engine case inputs", cerbos, engine, engineInputCases());
  });
});

describe("plan differential: the query planner's policies", { skip }, () => {
  const dir = testdata("query_planner", "policies");
  const globals = { environment: "test" };
  const signer = createJwtSigner();
  const claims = { customInt: 42 };
  const aux: PlanAuxData = {
    gatehouse: { jwt: signer.claimsFor(claims) },
    cerbos: { jwt: { token: signer.sign(claims), keySetId: signer.keySetId } },
  };
  const servers: { strict?: PdpServer; lenient?: PdpServer } = {};
  const engines: { strict?: Engine; lenient?: Engine } = {};
  before(async () => {
    for (const mode of ["strict", "lenient"] as const) {
      const engineConfig = { globals, lenientScopeSearch: mode === "lenient" };
      engines[mode] = await loadEngine(dir, engineConfig);
      servers[mode] = await startCerbosServer({
        policyDir: dir,
        config: { ...quiet, engine: engineConfig, auxData: signer.cerbosConfig },
      });
    }
  });
  after(async () => {
    await servers.strict?.stop();
    await servers.lenient?.stop();
  });

  it(
    "every suite principal x kind x action, one at a time and all together",
    { timeout },
    async (t) => {
      const repo = await readPolicyRepository(dir);
      const cat = catalogue(repo.policies);
      const principals = plannerSuitePrincipals();
      await compare(t, "query planner policies, cross product", servers.strict, engines.strict, [
        ...thin(singleActionCases(principals, cat, aux)),
        ...thin(allActionsCases(principals, cat, aux)),
      ]);
    },
  );
  it("each suite test, strict scope search", { timeout }, async (t) => {
    await compare(
      t,
      "query planner suites, strict",
      servers.strict,
      engines.strict,
      plannerSuiteCases(aux),
    );
  });
  it("each suite test, lenient scope search", { timeout }, async (t) => {
    await compare(
      t,
      "query planner suites, lenient",
      servers.lenient,
      engines.lenient,
      plannerSuiteCases(aux),
    );
  });
});

function writeSet(root: string, set: GeneratedPolicySet): void {
  for (const f of set.files) {
    const path = join(root, f.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, stringify(f.doc, { lineWidth: 0 }));
  }
}

const policiesText = (set: GeneratedPolicySet): string =>
  set.files.map((f) => `--- # ${f.path}\n${stringify(f.doc, { lineWidth: 0 })}`).join("");

/** Generates `count` sets from `base`, keeps those both sides accept, and compares their plans. */
async function generatedRun(
  t: TestContext,
  base: number,
  count: number,
  withJwt: boolean,
): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "gatehouse-plan-diff-"));
  const signer = withJwt ? createJwtSigner() : undefined;
  const auxFor = signer
    ? (claims: Readonly<Record<string, JsonValue>>): PlanAuxData => ({
        gatehouse: { jwt: signer.claimsFor(claims) },
        cerbos: { jwt: { token: signer.sign(claims), keySetId: signer.keySetId } },
      })
    : undefined;
  let cerbos: PdpServer | undefined;
  try {
    const accepted: { set: GeneratedPolicySet; seed: number; cases: PlanCase[] }[] = [];
    let rejected = 0;
    for (let i = 0; i < count; i++) {
      const { set, requests } = sampleWith(base + i, (r) => {
        const s = generatePolicySet(r, i, { jwt: withJwt });
        return { set: s, requests: generateRequests(r, s, 10, withJwt) };
      });
      writeSet(root, set);
      const setDir = join(root, set.prefix);
      const ours = compilePolicySet({
        policies: set.files.map((f) => ({
          file: f.path,
          text: stringify(f.doc, { lineWidth: 0 }),
        })),
      });
      if (compileWithCerbos(setDir).status !== 0 || !ours.policySet) {
        // whether a set compiles is the check differential's question
        rmSync(setDir, { recursive: true, force: true });
        rejected++;
        continue;
      }
      accepted.push({ set, seed: base + i, cases: generatedCases(set, requests, auxFor) });
    }
    t.diagnostic(`${accepted.length} sets accepted by both, ${rejected} rejected by either`);
    assert.ok(accepted.length > 0, "every generated set was rejected");
    // the sets share no names, so one server and one engine hold them all
    const { policySet } = compilePolicySet({
      policies: accepted.flatMap(({ set }) =>
        set.files.map((f) => ({ file: f.path, text: stringify(f.doc, { lineWidth: 0 }) })),
      ),
    });
    assert.ok(policySet, "the accepted sets do not compile together");
    const engine = createEngine(policySet, { globals: generatedGlobals });
    cerbos = await startCerbosServer({
      policyDir: root,
      config: {
        ...quiet,
        engine: { globals: generatedGlobals },
        ...(signer ? { auxData: signer.cerbosConfig } : {}),
      },
    });
    const cases = accepted.flatMap((a) => a.cases);
    await compare(
      t,
      `generated sets (seed ${base}${withJwt ? ", JWTs" : ""})`,
      cerbos,
      engine,
      cases,
      (c) => {
        const a = accepted.find((x) => x.cases.includes(c));
        return a ? `policies of ${a.set.prefix} (seed ${a.seed}):\n${policiesText(a.set)}` : "";
      },
    );
  } finally {
    await cerbos?.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

describe("plan differential: generated policy sets", { skip }, () => {
  it(`${setCount} generated sets (seed ${seed})`, { timeout }, async (t) => {
    await generatedRun(t, seed, setCount, false);
  });
  it(
    `${Math.max(2, Math.ceil(setCount / 2))} generated sets with JWTs in auxData (seed ${seed + 1000})`,
    { timeout },
    async (t) => {
      await generatedRun(t, seed + 1000, Math.max(2, Math.ceil(setCount / 2)), true);
    },
  );
});

describe(
  "plan differential over HTTP: the gatehouse server and the cerbos server, whole bodies",
  { skip: skip || (gatehouseUnavailableReason() ?? false) },
  () => {
    const dir = testdata("store");
    const root = mkdtempSync(join(tmpdir(), "gatehouse-plan-http-diff-"));
    const configFile = join(root, "config.yaml");
    const servers: { cerbos?: PdpServer; gatehouse?: PdpServer } = {};
    before(async () => {
      writeFileSync(
        configFile,
        stringify({
          server: { httpListenAddr: "127.0.0.1:0", grpcListenAddr: "127.0.0.1:0" },
          storage: { driver: "disk", disk: { directory: dir, watchForChanges: false } },
          engine: { globals: { environment: "test", my_map: { foo: ["a", "b"] } } },
          schema: { enforcement: "none" },
          audit: { enabled: false },
          gatehouse: { workers: 1 },
        }),
      );
      servers.cerbos = await startCerbosServer({ configFile });
      servers.gatehouse = await startGatehouseServer({ configFile });
    });
    after(async () => {
      await servers.gatehouse?.stop();
      await servers.cerbos?.stop();
      rmSync(root, { recursive: true, force: true });
    });

    it("a sample of the store's plans, and every engine case input", { timeout }, async (t) => {
      assert.ok(servers.cerbos && servers.gatehouse, "the servers did not start");
      const repo = await readPolicyRepository(dir);
      const cat = catalogue(repo.policies);
      const principals = engineCasePrincipals();
      const cases = [
        ...thin(singleActionCases(principals, cat), 10 * every),
        ...thin(allActionsCases(principals, cat), 4 * every),
        ...engineInputCases(),
      ];
      const result = await compareServerCases(servers.cerbos, servers.gatehouse, cases, options);
      await judge(t, "store over HTTP", result);
    });
  },
);
