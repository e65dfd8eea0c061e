// How each JSON API that ends in CheckResources calls maps onto the PDP service: its request
// decoder, its response encoder and the gRPC method name Cerbos records for it. CheckResources
// is the identity mapping; AuthZEN and the deprecated Cerbos endpoints translate
// (protocols/cerbos-api owns the translations).

import {
  decodeAccessEvaluationBatchRequest,
  decodeAccessEvaluationRequest,
  decodeCheckResourceBatchRequest,
  decodeCheckResourceSetRequest,
  decodeCheckResourcesRequest,
  encodeAccessEvaluationBatchResponse,
  encodeAccessEvaluationResponse,
  encodeCheckResourceBatchResponse,
  encodeCheckResourceSetResponse,
  type DecodeOptions,
} from "../cerbos-api/index.ts";
import type { CheckResourcesRequest, CheckResourcesResponse } from "../../pdp/types.ts";

/** An API answered by one CheckResources call. */
export interface CheckBinding {
  /** The full gRPC method name Cerbos's access log records, for HTTP calls too. */
  readonly rpc: string;
  /** Validates the parsed body; throws InvalidArgumentError with Cerbos's message. */
  decode(json: unknown, options: DecodeOptions): CheckResourcesRequest;
  /** The response body for the service's answer to `request`. */
  encode(request: CheckResourcesRequest, response: CheckResourcesResponse): unknown;
}

/** An API answered by several CheckResources calls (AuthZEN's batch evaluation). */
export interface BatchBinding<B extends { readonly requests: readonly CheckResourcesRequest[] }> {
  readonly rpc: string;
  decode(json: unknown, options: DecodeOptions): B;
  /** `responses[i]` answers `batch.requests[i]`. */
  encode(batch: B, responses: readonly CheckResourcesResponse[]): unknown;
}

export interface ApiBindings {
  readonly checkResources: CheckBinding;
  /** Absent: the route answers "unimplemented". */
  readonly accessEvaluation?: CheckBinding;
  readonly accessEvaluationBatch?: BatchBinding<{
    readonly requests: readonly CheckResourcesRequest[];
  }>;
  readonly checkResourceSet?: CheckBinding;
  readonly checkResourceBatch?: CheckBinding;
}

export const defaultApiBindings: ApiBindings = {
  checkResources: {
    rpc: "/cerbos.svc.v1.CerbosService/CheckResources",
    decode: decodeCheckResourcesRequest,
    encode: (_request, response) => response,
  },
  accessEvaluation: {
    rpc: "/authzen.authorization.v1.AuthorizationService/AccessEvaluation",
    decode: decodeAccessEvaluationRequest,
    encode: encodeAccessEvaluationResponse,
  },
  accessEvaluationBatch: {
    rpc: "/authzen.authorization.v1.AuthorizationService/AccessEvaluationBatch",
    decode: decodeAccessEvaluationBatchRequest,
    encode: encodeAccessEvaluationBatchResponse,
  },
  checkResourceSet: {
    rpc: "/cerbos.svc.v1.CerbosService/CheckResourceSet",
    decode: decodeCheckResourceSetRequest,
    encode: encodeCheckResourceSetResponse,
  },
  checkResourceBatch: {
    rpc: "/cerbos.svc.v1.CerbosService/CheckResourceBatch",
    decode: decodeCheckResourceBatchRequest,
    encode: (_request, response) => encodeCheckResourceBatchResponse(response),
  },
};
