// One differential run: generate policy sets and requests from a seed, load the sets into the
// real Cerbos and into Gatehouse, send both the same requests, and collect every disagreement:
// in whether a set compiles at all, and per resource in the engine-level CheckOutput (effects,
// matched policy and scope, effective derived roles, outputs, evaluation errors).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { stringify } from "yaml";
import { compilePolicySet, createEngine } from "../../src/authz/index.ts";
import type { CheckInput } from "../../src/authz/engine/types.ts";
import type { JsonValue } from "../../src/authz/policy/model.ts";
import { compileWithCerbos, startCerbosServer } from "../support/cerbos-server.ts";
import { canonicalOutput, differingFields } from "./output-comparison.ts";
import { generatePolicySet, type GeneratedPolicySet } from "./policy-set-generator.ts";
import { sampleWith } from "./random-choice.ts";
import { generateRequests, type GeneratedRequest } from "./request-generator.ts";
import type { JwtSigner } from "./jwt-signer.ts";

export const globals: Record<string, JsonValue> = { env: "prod", tier: 2 };

export interface Divergence {
  readonly seed: number;
  readonly set: string;
  readonly kind: "compile" | "check";
  /** Whether the engines ran with strict evaluation. */
  readonly strict: boolean;
  /** One line: what differs. */
  readonly summary: string;
  /** Everything needed to reproduce: policies, request, both answers. */
  readonly detail: string;
  /** The canonical answers (check divergences) or compiler outputs (compile divergences). */
  readonly cerbos: unknown;
  readonly gatehouse: unknown;
}

export interface DifferentialOptions {
  readonly seed: number;
  readonly sets: number;
  readonly requestsPerSet: number;
  /** When given, requests carry JWTs: signed for Cerbos, decoded claims for Gatehouse. */
  readonly jwt?: JwtSigner;
  readonly strictEvaluation?: boolean;
  readonly lenientScopeSearch?: boolean;
}

export interface DifferentialResult {
  readonly divergences: Divergence[];
  readonly comparedResources: number;
  readonly setsCompared: number;
  readonly setsRejectedByBoth: number;
}

function writeSet(dir: string, set: GeneratedPolicySet): void {
  for (const f of set.files) {
    const path = join(dir, f.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, stringify(f.doc, { lineWidth: 0 }));
  }
}

function policiesText(set: GeneratedPolicySet): string {
  return set.files.map((f) => `--- # ${f.path}\n${stringify(f.doc, { lineWidth: 0 })}`).join("");
}

export async function runDifferential(opts: DifferentialOptions): Promise<DifferentialResult> {
  const divergences: Divergence[] = [];
  const root = mkdtempSync(join(tmpdir(), "gatehouse-diff-"));
  let comparedResources = 0;
  let setsRejectedByBoth = 0;
  try {
    const withJwt = opts.jwt !== undefined;
    const generated = Array.from({ length: opts.sets }, (_, i) => {
      const seed = opts.seed + i;
      return sampleWith(seed, (r) => {
        const set = generatePolicySet(r, i, { jwt: withJwt });
        return { seed, set, requests: generateRequests(r, set, opts.requestsPerSet, withJwt) };
      });
    });

    // Compile each set on both sides; only sets both accept go on to the check comparison.
    const accepted: typeof generated = [];
    for (const g of generated) {
      const dir = join(root, "single", g.set.prefix);
      writeSet(dir, g.set);
      const cerbos = compileWithCerbos(dir);
      const ours = compilePolicySet({
        policies: g.set.files.map((f) => ({
          file: f.path,
          text: stringify(f.doc, { lineWidth: 0 }),
        })),
      });
      const cerbosOk = cerbos.status === 0;
      const oursOk = ours.policySet !== undefined;
      if (cerbosOk !== oursOk) {
        divergences.push({
          seed: g.seed,
          set: g.set.prefix,
          kind: "compile",
          strict: opts.strictEvaluation === true,
          summary: `cerbos ${cerbosOk ? "accepts" : "rejects"} the set, gatehouse ${oursOk ? "accepts" : "rejects"} it`,
          detail: `cerbos:\n${cerbos.output}\ngatehouse:\n${JSON.stringify(ours.diagnostics, null, 2)}\npolicies:\n${policiesText(g.set)}`,
          cerbos: cerbos.output,
          gatehouse: ours.diagnostics,
        });
      } else if (cerbosOk) accepted.push(g);
      else setsRejectedByBoth++;
    }
    if (accepted.length === 0)
      return { divergences, comparedResources, setsCompared: 0, setsRejectedByBoth };

    // One Cerbos per set, loading exactly what Gatehouse compiled: Cerbos 0.55 shares compiled
    // output expressions across the whole store by their text (see known-divergences.ts), so
    // sets served together would leak into each other.
    const engineConfig = {
      globals,
      ...(opts.strictEvaluation ? { strictEvaluation: true } : {}),
      ...(opts.lenientScopeSearch ? { lenientScopeSearch: true } : {}),
    };
    for (const g of accepted) {
      const ours = compilePolicySet({
        policies: g.set.files.map((f) => ({
          file: f.path,
          text: stringify(f.doc, { lineWidth: 0 }),
        })),
      });
      if (!ours.policySet) continue;
      const engine = createEngine(ours.policySet, engineConfig);
      const server = await startCerbosServer({
        policyDir: join(root, "single", g.set.prefix),
        config: { engine: engineConfig, ...(opts.jwt ? { auxData: opts.jwt.cerbosConfig } : {}) },
      });
      try {
        for (const req of g.requests) {
          comparedResources += await compareRequest(server, engine, g, req, opts, divergences);
        }
      } catch (e) {
        throw new Error(`${String(e)}\ncerbos log:\n${server.log()}`, { cause: e });
      } finally {
        await server.stop();
      }
    }
    return { divergences, comparedResources, setsCompared: accepted.length, setsRejectedByBoth };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** How many more times a request is sent to Cerbos when its first answer differs from ours. */
const retries = 3;

async function compareRequest(
  server: Awaited<ReturnType<typeof startCerbosServer>>,
  engine: ReturnType<typeof createEngine>,
  g: { seed: number; set: GeneratedPolicySet },
  req: GeneratedRequest,
  opts: DifferentialOptions,
  divergences: Divergence[],
): Promise<number> {
  const { jwtClaims, ...body } = req;
  const auxData =
    jwtClaims && opts.jwt
      ? { jwt: { token: opts.jwt.sign(jwtClaims), keySetId: opts.jwt.keySetId } }
      : undefined;
  const answer = await server.checkResources({
    ...body,
    includeMeta: true,
    ...(auxData ? { auxData } : {}),
  });
  const inputs: CheckInput[] = req.resources.map((res) => ({
    requestId: req.requestId,
    principal: req.principal,
    resource: res.resource,
    actions: res.actions,
    ...(jwtClaims && opts.jwt ? { auxData: { jwt: opts.jwt.claimsFor(jwtClaims) } } : {}),
  }));
  const dump = (what: string): string =>
    `policies:\n${policiesText(g.set)}\nrequest:\n${JSON.stringify({ ...req }, null, 2)}\n${what}`;
  if (answer.status !== 200 || answer.decisionOutputs === undefined) {
    divergences.push({
      seed: g.seed,
      set: g.set.prefix,
      kind: "check",
      strict: opts.strictEvaluation === true,
      summary: `cerbos answered ${answer.status} without a decision log entry`,
      detail: dump(`cerbos:\n${JSON.stringify(answer.body, null, 2)}`),
      cerbos: answer.body,
      gatehouse: undefined,
    });
    return 0;
  }
  const ours = engine.check(inputs);
  // Cerbos walks some maps in Go's random order, so a few answers (which of several failing
  // conditions gets reported, mostly) vary between identical requests: ask again before calling
  // a difference a divergence, and accept any answer Cerbos gives.
  const answers = [answer.decisionOutputs];
  for (const [k, res] of req.resources.entries()) {
    const mine = canonicalOutput(ours[k] ?? null);
    let theirs = canonicalOutput(answer.decisionOutputs[k] ?? null);
    for (let attempt = 0; !isDeepStrictEqual(theirs, mine) && attempt < retries; attempt++) {
      if (answers.length <= attempt + 1) {
        const again = await server.checkResources({
          ...body,
          includeMeta: true,
          ...(auxData ? { auxData } : {}),
        });
        answers.push(again.decisionOutputs ?? []);
      }
      const other = canonicalOutput(answers[attempt + 1]?.[k] ?? null);
      if (isDeepStrictEqual(other, mine)) theirs = other;
    }
    if (isDeepStrictEqual(theirs, mine)) continue;
    divergences.push({
      seed: g.seed,
      set: g.set.prefix,
      kind: "check",
      strict: opts.strictEvaluation === true,
      summary: `${req.requestId} resource ${res.resource.kind}/${res.resource.id}: ${differingFields(theirs, mine).join(", ")}`,
      detail: dump(
        `resource #${k}\ncerbos:\n${JSON.stringify(theirs, null, 2)}\ngatehouse:\n${JSON.stringify(mine, null, 2)}`,
      ),
      cerbos: theirs,
      gatehouse: mine,
    });
  }
  return req.resources.length;
}
