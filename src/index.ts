// Gatehouse as a library: load a policy folder (or bring policy texts), compile once, then
// check requests in-process and synchronously with Cerbos's request and response shapes.
//
//   const pdp = await loadPolicies("./policies");
//   const [result] = pdp.check([{ principal, resource, actions: ["view"] }]);
//
// The pure engine (no I/O, runs in browsers and edge runtimes) is `gatehouse/authz`'s API,
// re-exported here; this module adds reading a folder from disk.

import { compilePolicySet, createEngine } from "./authz/index.ts";
import type { Engine, EngineOptions } from "./authz/index.ts";
import type { Diagnostic } from "./kernel/diagnostic.ts";
import { InvalidPolicyError } from "./kernel/errors.ts";
import { readPolicyRepository } from "./store/disk/index.ts";

export * from "./authz/index.ts";
export type { Diagnostic, SourcePosition } from "./kernel/diagnostic.ts";
export { formatDiagnostic } from "./kernel/diagnostic.ts";
export { GatehouseError, InvalidArgumentError, InvalidPolicyError } from "./kernel/errors.ts";
export type { GatehouseErrorCode } from "./kernel/errors.ts";

export interface LoadedPolicies extends Engine {
  /** Warnings that did not stop compilation (none today; kept for forward compatibility). */
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Reads a policy folder the way Cerbos's disk store does, compiles it and returns a ready
 * engine. Rejects with an InvalidPolicyError listing every problem when the policies do not
 * compile.
 */
export async function loadPolicies(dir: string, options?: EngineOptions): Promise<LoadedPolicies> {
  const repo = await readPolicyRepository(dir);
  const { policySet, diagnostics } = compilePolicySet({
    policies: repo.policies,
    schemas: repo.schemas,
  });
  const problems = [...repo.diagnostics, ...diagnostics];
  if (!policySet) throw new InvalidPolicyError(problems);
  const engine = createEngine(policySet, options);
  return {
    check: engine.check.bind(engine),
    plan: engine.plan.bind(engine),
    diagnostics: problems,
  };
}
