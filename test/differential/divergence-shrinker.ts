// Shrinks a divergence to a small repro: greedily deletes parts of the policy files and of the
// request (whole files first, then rules, then single keys and list items) while both Cerbos
// and Gatehouse still accept the policies and the same field still differs. Each candidate
// restarts Cerbos (~0.3 s), so this is a debugging tool, not part of the test run:
//   node test/differential/divergence-shrinker.ts SEED SET_INDEX REQUEST_ID RESOURCE_INDEX [FIELD]
// (GATEHOUSE_DIFF_STRICT=1 for the strict-evaluation phase, GATEHOUSE_DIFF_JWT=1 for the JWT phase).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { stringify } from "yaml";
import { compilePolicySet, createEngine } from "../../src/authz/index.ts";
import type { CheckInput } from "../../src/authz/engine/types.ts";
import type { JsonValue } from "../../src/authz/policy/model.ts";
import { startCerbosServer } from "../support/cerbos-server.ts";
import { globals } from "./differential-run.ts";
import { createJwtSigner, type JwtSigner } from "./jwt-signer.ts";
import { canonicalOutput, differingFields } from "./output-comparison.ts";
import { generatePolicySet } from "./policy-set-generator.ts";
import { sampleWith } from "./random-choice.ts";
import { generateRequests } from "./request-generator.ts";

interface Case {
  files: { path: string; doc: Record<string, JsonValue> }[];
  input: {
    principal: Record<string, JsonValue>;
    resource: Record<string, JsonValue>;
    actions: string[];
  };
  /** Decoded JWT claims: signed for Cerbos, passed as they are to Gatehouse. */
  jwtClaims?: Record<string, JsonValue>;
}

let signer: JwtSigner | undefined;

interface Outcome {
  readonly fields: string[];
  readonly cerbos: unknown;
  readonly gatehouse: unknown;
}

/** Runs one case on both sides; undefined when either side rejects the policies or the request. */
export async function runCase(
  c: Case,
  strictEvaluation = process.env["GATEHOUSE_DIFF_STRICT"] === "1",
): Promise<Outcome | undefined> {
  const engineConfig = { globals, ...(strictEvaluation ? { strictEvaluation: true } : {}) };
  const texts = c.files.map((f) => ({ file: f.path, text: stringify(f.doc, { lineWidth: 0 }) }));
  let ours: ReturnType<typeof compilePolicySet>;
  try {
    ours = compilePolicySet({ policies: texts });
  } catch {
    // a crash on a malformed candidate is not the divergence being shrunk
    return undefined;
  }
  if (!ours.policySet) return undefined;
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-shrink-"));
  try {
    for (const t of texts) {
      mkdirSync(dirname(join(dir, t.file)), { recursive: true });
      writeFileSync(join(dir, t.file), t.text);
    }
    let server;
    try {
      signer ??= createJwtSigner();
      server = await startCerbosServer({
        policyDir: dir,
        config: { engine: engineConfig, auxData: signer.cerbosConfig },
      });
    } catch {
      return undefined;
    }
    try {
      const answer = await server.checkResources({
        requestId: "shrink",
        principal: c.input.principal,
        resources: [{ resource: c.input.resource, actions: c.input.actions }],
        ...(c.jwtClaims
          ? { auxData: { jwt: { token: signer.sign(c.jwtClaims), keySetId: signer.keySetId } } }
          : {}),
      });
      if (answer.status !== 200 || !answer.decisionOutputs) return undefined;
      const engine = createEngine(ours.policySet, engineConfig);
      const mine = canonicalOutput(
        engine.check([
          {
            requestId: "shrink",
            ...c.input,
            ...(c.jwtClaims ? { auxData: { jwt: signer.claimsFor(c.jwtClaims) } } : {}),
          } as unknown as CheckInput,
        ])[0] ?? null,
      );
      const theirs = canonicalOutput(answer.decisionOutputs[0] ?? null);
      return {
        fields: isDeepStrictEqual(mine, theirs) ? [] : differingFields(theirs, mine),
        cerbos: theirs,
        gatehouse: mine,
      };
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Path = (string | number)[];

/** Every deletable node, shallow first, so big pieces go before small ones. */
function paths(root: unknown): Path[] {
  const out: Path[] = [];
  let frontier: [Path, unknown][] = [[[], root]];
  while (frontier.length > 0) {
    const next: [Path, unknown][] = [];
    for (const [p, v] of frontier) {
      const children: [string | number, unknown][] = Array.isArray(v)
        ? v.map((x, i) => [i, x])
        : typeof v === "object" && v !== null
          ? Object.entries(v)
          : [];
      for (const [k, x] of children) {
        out.push([...p, k]);
        next.push([[...p, k], x]);
      }
    }
    frontier = next;
  }
  return out;
}

function without(root: unknown, path: Path): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node: unknown = copy;
  for (const key of path.slice(0, -1)) node = (node as Record<string | number, unknown>)[key];
  const last = path[path.length - 1];
  if (Array.isArray(node) && typeof last === "number") node.splice(last, 1);
  else if (typeof node === "object" && node !== null && last !== undefined)
    delete (node as Record<string | number, unknown>)[last];
  return copy;
}

export async function shrink(
  c: Case,
  field: string,
  log: (s: string) => void = () => {},
): Promise<Case> {
  const keeps = (o: Outcome | undefined): boolean =>
    o !== undefined && o.fields.some((f) => f === field || f.startsWith(`${field}.`));
  if (!keeps(await runCase(c))) throw new Error(`the case does not diverge in \`${field}\``);
  let current = c;
  let progress = true;
  while (progress) {
    progress = false;
    for (const p of paths(current)) {
      if (p.length < 2 || (p[0] === "files" && p.length === 3)) continue;
      const candidate = without(current, p) as Case;
      if (keeps(await runCase(candidate))) {
        current = candidate;
        progress = true;
        log(`dropped ${p.join(".")}`);
        break;
      }
    }
  }
  return current;
}

if (import.meta.main) {
  const [seedArg, setArg, requestId, resArg, field = "evaluationErrors"] = process.argv.slice(2);
  const seed = Number(seedArg);
  const index = Number(setArg);
  const jwt = process.env["GATEHOUSE_DIFF_JWT"] === "1";
  const g = sampleWith(seed, (r) => {
    const set = generatePolicySet(r, index, { jwt });
    return { set, requests: generateRequests(r, set, 10, jwt) };
  });
  const req = g.requests.find((q) => q.requestId === requestId);
  const res = req?.resources[Number(resArg)];
  if (!req || !res) throw new Error(`no request ${requestId} resource ${resArg}`);
  const start: Case = {
    files: g.set.files.map((f) => ({ path: f.path, doc: f.doc })),
    input: { principal: req.principal, resource: res.resource, actions: res.actions },
    ...(req.jwtClaims ? { jwtClaims: req.jwtClaims } : {}),
  };
  const small = await shrink(start, field, (s) => process.stderr.write(`${s}\n`));
  const outcome = await runCase(small);
  for (const f of small.files)
    process.stdout.write(`--- # ${f.path}\n${stringify(f.doc, { lineWidth: 0 })}`);
  process.stdout.write(
    `request: ${JSON.stringify(small.input)}${small.jwtClaims ? ` jwt claims: ${JSON.stringify(small.jwtClaims)}` : ""}\n`,
  );
  process.stdout.write(
    `cerbos:    ${JSON.stringify(outcome?.cerbos)}\ngatehouse: ${JSON.stringify(outcome?.gatehouse)}\n`,
  );
}
