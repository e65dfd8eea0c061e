// Decision and access audit logs in Cerbos's entry shapes.

export type {
  AccessLog,
  AccessRecord,
  AuditLog,
  DecisionLog,
  DecisionRecord,
  PlanDecisionRecord,
} from "./types.ts";
export type { AuditLogDeps } from "./audit-log.ts";
export { createAuditLog, noAuditLog } from "./audit-log.ts";
export type { LineWriter, LineWriterOptions } from "./line-writer.ts";
export { createLineWriter } from "./line-writer.ts";
