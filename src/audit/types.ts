// What the audit log records: one entry per decision and one per API call, as Cerbos's
// DecisionLogEntry and AccessLogEntry. Callers hand over what happened; the audit log filters
// metadata, shapes the entries and writes them off the request path.

import type { CheckInput, CheckOutput } from "../authz/engine/types.ts";
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
}

export interface AccessLog {
  recordAccess(record: AccessRecord): void;
}

export interface AuditLog extends DecisionLog, AccessLog {
  /** Writes what is buffered and releases the file. */
  close(): Promise<void>;
}
