// Cerbos's CEL: the environment policy conditions compile in, the bindings the engine
// evaluates them with, and Cerbos's own function libraries.

export {
  cerbosBindings,
  cerbosEnvironment,
  cerbosLibraries,
  cerbosMessages,
  cerbosRequestValues,
  cerbosVariables,
  ReusableRequestValues,
  type CerbosConditionInput,
  type CerbosRequestValues,
} from "./environment.ts";
export { CelHierarchy } from "./hierarchy.ts";
export { CelSpiffeID, CelSpiffeMatcher, CelSpiffeTrustDomain } from "./spiffe.ts";
