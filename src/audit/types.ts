// What the audit log records: one entry per decision and one per API call, as Cerbos's
// DecisionLogEntry and AccessLogEntry. Callers hand over what happened; the audit log filters
// metadata, shapes the entries and writes them off the request path.

import type { CheckInput, CheckOutput } from "../authz/engine/types.ts";
import type { PlanInput, PlanOutput } from "../authz/planner/types.ts";
import type { RequestContext } from "../pdp/types.ts";

export interface DecisionRecord {
  readonly context: RequestContext;
  /** Epoch milliseconds of the decision (the request's clock reading). */
  readonly timestamp: number;
  /** Engine-level inputs and outputs, evaluation errors included. */
  readonly inputs: readonly CheckInput[];
  readonly outputs: readonly CheckOutput[];
  /** Set when the request failed after it reached the engine. */
  readonly error?: string;
}

/** One PlanResources decision: Cerbos's `planResources` decision entry. */
export interface PlanDecisionRecord {
  readonly context: RequestContext;
  /** Epoch milliseconds of the decision (the request's clock reading). */
  readonly timestamp: number;
  /** What the engine was asked, principal and verified auxData included. */
  readonly input: PlanInput;
  /** The request's `includeMeta`, which Cerbos logs with the input. */
  readonly includeMeta: boolean;
  readonly output?: PlanOutput;
  /** Set when the request failed after it reached the engine. */
  readonly error?: string;
  /** The request's `requestContext` (audit annotations), when it sent one. */
  readonly requestContext?: { readonly annotations?: Readonly<Record<string, unknown>> };
}

export interface AccessRecord {
  readonly context: RequestContext;
  /** Epoch milliseconds the call arrived. */
  readonly timestamp: number;
  /** The gRPC full method name, `/cerbos.svc.v1.CerbosService/CheckResources`, for both transports. */
  readonly method: string;
  /** The gRPC status code of the answer (0 for OK), as Cerbos records it. */
  readonly statusCode: number;
}

export interface DecisionLog {
  recordDecision(record: DecisionRecord): void;
  recordPlan(record: PlanDecisionRecord): void;
}

export interface AccessLog {
  recordAccess(record: AccessRecord): void;
}

export interface AuditLog extends DecisionLog, AccessLog {
  /** Writes what is buffered and releases the file. */
  close(): Promise<void>;
}
