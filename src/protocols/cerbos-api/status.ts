// The one table from Gatehouse error codes to the statuses Cerbos answers with: HTTP status
// (grpc-gateway's mapping of the gRPC code) and gRPC code, plus the JSON error body shape
// (`details` only when there are any, as grpc-gateway leaves out an empty list).

import { GatehouseError, type GatehouseErrorCode } from "../../kernel/errors.ts";
import { RequestValidationError } from "./violations.ts";

/** gRPC status codes used here (google.rpc.Code). */
export const GrpcCode = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

const statusTable: Readonly<Record<GatehouseErrorCode, { http: number; grpc: number }>> = {
  INVALID_ARGUMENT: { http: 400, grpc: GrpcCode.INVALID_ARGUMENT },
  // policies sent through an API (admin, playground) that do not compile are the caller's fault
  INVALID_POLICY: { http: 400, grpc: GrpcCode.INVALID_ARGUMENT },
  // configuration is read at start-up; reaching a caller it is a server fault
  INVALID_CONFIG: { http: 500, grpc: GrpcCode.INTERNAL },
  NOT_FOUND: { http: 404, grpc: GrpcCode.NOT_FOUND },
  IO: { http: 500, grpc: GrpcCode.INTERNAL },
  INTERNAL: { http: 500, grpc: GrpcCode.INTERNAL },
};

export interface HttpError {
  readonly status: number;
  readonly body: { readonly code: number; readonly message: string; readonly details?: unknown[] };
}

/**
 * What callers see of an error that is not a GatehouseError (a bug): its own message may
 * carry internals, so it stays in the logs. GatehouseError messages are written for callers.
 */
const INTERNAL_MESSAGE = "internal error";

export function toGrpcStatus(err: unknown): { code: number; message: string } {
  if (!(err instanceof GatehouseError))
    return { code: GrpcCode.INTERNAL, message: INTERNAL_MESSAGE };
  return { code: statusTable[err.code].grpc, message: err.message };
}

export function toHttpError(err: unknown): HttpError {
  if (!(err instanceof GatehouseError))
    return { status: 500, body: { code: GrpcCode.INTERNAL, message: INTERNAL_MESSAGE } };
  const row = statusTable[err.code];
  const message = err.message;
  if (err instanceof RequestValidationError)
    return { status: row.http, body: { code: row.grpc, message, details: err.details() } };
  return { status: row.http, body: { code: row.grpc, message } };
}
