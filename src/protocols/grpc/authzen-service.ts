// authzen.authorization.v1.AuthorizationService over gRPC, which Cerbos serves beside its own
// API: the same mapping to CheckResources as the HTTP AuthZEN endpoints (protocols/cerbos-api).

import type { ServiceDefinition, UntypedServiceImplementation } from "@grpc/grpc-js";
import type { Logger } from "../../kernel/logger.ts";
import type { Metrics } from "../../kernel/metrics.ts";
import type { PdpService } from "../../pdp/types.ts";
import {
  authzenMetadata,
  decodeAccessEvaluationBatchRequest,
  decodeAccessEvaluationRequest,
  encodeAccessEvaluationBatchResponse,
  encodeAccessEvaluationResponse,
} from "../cerbos-api/authzen.ts";
import type { DecodeOptions } from "../cerbos-api/index.ts";
import {
  AccessEvaluationBatchRequestSchema,
  AccessEvaluationBatchResponseSchema,
  AccessEvaluationRequestSchema,
  AccessEvaluationResponseSchema,
  MetadataResponseSchema,
} from "./gen/authzen/authorization/v1/evaluation_pb.ts";
import { AuthorizationService } from "./gen/authzen/authorization/v1/svc_pb.ts";
import { checkHandler, responseBytes } from "./json-bridge.ts";
import { serviceOf, unaryHandler, type UnaryDeps } from "./rpc-method.ts";

export interface AuthzenServiceDeps {
  readonly pdp: PdpService;
  readonly decode: DecodeOptions;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The listener speaks TLS: Metadata's URLs are `https://`. */
  readonly tls: boolean;
  readonly access?: UnaryDeps["access"];
}

export const authzenServiceName = AuthorizationService.typeName;

export function createAuthzenService(deps: AuthzenServiceDeps): {
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
} {
  const { decode } = deps;
  const scheme = deps.tls ? "https" : "http";
  return serviceOf(AuthorizationService, {
    AccessEvaluation: checkHandler("AccessEvaluation", deps, {
      input: AccessEvaluationRequestSchema,
      output: AccessEvaluationResponseSchema,
      decode: (json) => decodeAccessEvaluationRequest(json, decode),
      requests: (request) => [request],
      encode: (request, [response]) => encodeAccessEvaluationResponse(request, response!),
    }),
    AccessEvaluationBatch: checkHandler("AccessEvaluationBatch", deps, {
      input: AccessEvaluationBatchRequestSchema,
      output: AccessEvaluationBatchResponseSchema,
      decode: (json) => decodeAccessEvaluationBatchRequest(json, decode),
      requests: (batch) => batch.requests,
      encode: encodeAccessEvaluationBatchResponse,
    }),
    // Cerbos names the address the caller reached (the gRPC `:authority`), not its HTTP one.
    Metadata: unaryHandler("Metadata", deps, (_bytes, call) =>
      responseBytes(MetadataResponseSchema, authzenMetadata(`${scheme}://${call.getHost()}`)),
    ),
  });
}
