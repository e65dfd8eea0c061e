// Cerbos's API, independent of transport: decoding and validating CheckResources and
// PlanResources requests (JSON objects as HTTP receives them or as gRPC messages convert to),
// AuthZEN mapping, the deprecated CheckResourceSet and CheckResourceBatch APIs, and the table
// from error codes to HTTP and gRPC statuses. Both protocols/http and protocols/grpc use it.

export { decodeCheckResourcesRequest, type DecodeOptions } from "./check-resources.ts";
export { decodePlanResourcesRequest, MAX_PLAN_ACTIONS } from "./plan-resources.ts";
export {
  authzenMetadata,
  decodeAccessEvaluationBatchRequest,
  decodeAccessEvaluationRequest,
  encodeAccessEvaluationBatchResponse,
  encodeAccessEvaluationResponse,
  type AccessEvaluationBatch,
  type AccessEvaluationResponse,
  type EvaluationsSemantic,
} from "./authzen.ts";
export {
  decodeCheckResourceBatchRequest,
  decodeCheckResourceSetRequest,
  encodeCheckResourceBatchResponse,
  encodeCheckResourceSetResponse,
} from "./deprecated.ts";
export { RequestValidationError, type Violation } from "./violations.ts";
export { GrpcCode, toGrpcStatus, toHttpError, type HttpError } from "./status.ts";
