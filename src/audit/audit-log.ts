// The audit log as configured: decision and access entries in Cerbos's shapes, JSON lines to a
// file (appended) or stdout/stderr, written off the request path. Disabled parts cost nothing.

import type { Logger } from "../kernel/logger.ts";
import type { AuditConfig } from "../main/config/types.ts";
import {
  accessEntry,
  compileMetadataFilter,
  decisionEntry,
  planDecisionEntry,
  type EntryContext,
} from "./audit-entries.ts";
import { createLineWriter } from "./line-writer.ts";
import type { AuditLog } from "./types.ts";

export interface AuditLogDeps {
  readonly logger: Logger;
  readonly policySource: {
    readonly directory: string;
    /** The file a policy key came from, for `auditTrail`; entries omit `source` without it. */
    readonly sourceOf?: (policyKey: string) => string | undefined;
  };
}

export const noAuditLog: AuditLog = {
  recordDecision: () => {},
  recordPlan: () => {},
  recordAccess: () => {},
  close: () => Promise.resolve(),
};

export function createAuditLog(config: AuditConfig, deps: AuditLogDeps): AuditLog {
  const decisions = config.enabled && config.decisionLogsEnabled;
  const access = config.enabled && config.accessLogsEnabled;
  if (!decisions && !access) return noAuditLog;

  const logger = deps.logger.child({ component: "audit" });
  const writer = createLineWriter({ path: config.file.path, logger });
  const ctx: EntryContext = {
    keepMetadata: compileMetadataFilter({
      include: config.includeMetadataKeys,
      exclude: config.excludeMetadataKeys,
    }),
    directory: deps.policySource.directory,
    ...(deps.policySource.sourceOf ? { sourceOf: deps.policySource.sourceOf } : {}),
  };
  // serialising is the only work done on the request path; a value JSON cannot encode (a cycle
  // in attributes cannot arrive from a decoded request, but a bug might build one) is logged
  const write = (build: () => unknown): void => {
    let line: string;
    try {
      line = JSON.stringify(build()) + "\n";
    } catch (e) {
      logger.error("cannot encode an audit entry", { error: e });
      return;
    }
    writer.write(line);
  };
  return {
    recordDecision: decisions ? (r) => write(() => decisionEntry(ctx, r)) : () => {},
    recordPlan: decisions ? (r) => write(() => planDecisionEntry(ctx, r)) : () => {},
    recordAccess: access ? (r) => write(() => accessEntry(ctx, r)) : () => {},
    close: () => writer.close(),
  };
}
