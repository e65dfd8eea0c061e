// The query planner's public face.

export { planInput } from "./plan.ts";
export { PlanFailedError } from "./filter-error.ts";
export type * from "./types.ts";
