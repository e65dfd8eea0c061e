// Errors that fail a whole PlanResources request, where Cerbos 0.55 fails it too (it answers
// `Resources query plan request failed`, gRPC code 13): a residual expression Cerbos cannot
// express as a filter (an optional list element, a comprehension of unknown shape, an opaque
// value, ...), or one it cannot evaluate with the resource unknown.

/** Planning failed for this request; the message says why (for logs, not for the caller). */
export class PlanFailedError extends Error {
  override readonly name: string = "PlanFailedError";
}

/** A residual expression that cannot be written as a filter. */
export class FilterBuildError extends PlanFailedError {
  override readonly name: string = "FilterBuildError";
}
