// The public face of the policy decision point: parse and compile policies once, then check
// requests against the compiled set. Everything here is pure and synchronous (no I/O), so it
// runs in servers and browsers alike; callers bring the policy and schema texts.

export type { PolicySource, ParsedPolicy } from "./policy/index.ts";
export { parsePolicy } from "./policy/index.ts";
export type { SchemaSource, SchemaRegistry } from "./schema/index.ts";
export { createSchemaRegistry, validateAttributes } from "./schema/index.ts";

export type { CompileInput, CompiledPolicySet } from "./compile/index.ts";
export { compilePolicySet } from "./compile/index.ts";
export type {
  CheckExplanation,
  CheckOptions,
  CheckResult,
  Engine,
  EngineOptions,
  PlanOptions,
} from "./engine/index.ts";
export { createEngine } from "./engine/index.ts";

export type * from "./engine/types.ts";
export type * from "./planner/types.ts";
export { PlanFailedError } from "./planner/index.ts";
export type * from "./policy/model.ts";
