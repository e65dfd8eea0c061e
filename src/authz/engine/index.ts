// The check engine's public face.

export { createEngine } from "./engine.ts";
export type { CheckOptions, CheckResult, Engine, EngineOptions, PlanOptions } from "./engine.ts";
export type { ActionExplanation, CheckExplanation, RuleTrace } from "./explanation.ts";
