// The policy compiler's public face: sources in, an immutable compiled policy set (or the full
// list of problems) out.

export { compilePolicySet } from "./compile-policy-set.ts";
export type { CompileInput, CompiledPolicySet } from "./compile-policy-set.ts";
