// cerbos.svc.v1.CerbosService over gRPC: CheckResources, PlanResources, the deprecated
// CheckResourceSet and CheckResourceBatch that Cerbos 0.55 still serves, and ServerInfo; the
// other methods of the service answer UNIMPLEMENTED from grpc-js.

import { create, toBinary } from "@bufbuild/protobuf";
import type { ServiceDefinition, UntypedServiceImplementation } from "@grpc/grpc-js";
import type { Logger } from "../../kernel/logger.ts";
import type { Metrics } from "../../kernel/metrics.ts";
import type { CheckResourcesRequest, PdpService } from "../../pdp/types.ts";
import {
  decodeCheckResourceBatchRequest,
  decodeCheckResourceSetRequest,
  encodeCheckResourceBatchResponse,
  encodeCheckResourceSetResponse,
} from "../cerbos-api/deprecated.ts";
import {
  decodeCheckResourcesRequest,
  decodePlanResourcesRequest,
  type DecodeOptions,
} from "../cerbos-api/index.ts";
import {
  CheckResourceBatchRequestSchema,
  CheckResourceSetRequestSchema,
  CheckResourcesRequestSchema,
  PlanResourcesRequestSchema,
} from "./gen/cerbos/request/v1/request_pb.ts";
import {
  CheckResourceBatchResponseSchema,
  CheckResourceSetResponseSchema,
  CheckResourcesResponseSchema,
  PlanResourcesResponseSchema,
  ServerInfoResponseSchema,
} from "./gen/cerbos/response/v1/response_pb.ts";
import { CerbosService } from "./gen/cerbos/svc/v1/svc_pb.ts";
import { checkHandler, requestJson, responseBytes } from "./json-bridge.ts";
import { serviceOf, unaryHandler, type UnaryDeps } from "./rpc-method.ts";

export interface CerbosServiceDeps {
  readonly pdp: PdpService;
  readonly decode: DecodeOptions;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly access?: UnaryDeps["access"];
}

export const cerbosServiceName = CerbosService.typeName;

const one = (request: CheckResourcesRequest): readonly CheckResourcesRequest[] => [request];

export function createCerbosService(deps: CerbosServiceDeps): {
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
} {
  const { pdp, decode } = deps;
  return serviceOf(CerbosService, {
    CheckResources: checkHandler("CheckResources", deps, {
      input: CheckResourcesRequestSchema,
      output: CheckResourcesResponseSchema,
      decode: (json) => decodeCheckResourcesRequest(json, decode),
      requests: one,
      encode: (_request, [response]) => response,
    }),
    CheckResourceSet: checkHandler("CheckResourceSet", deps, {
      input: CheckResourceSetRequestSchema,
      output: CheckResourceSetResponseSchema,
      decode: (json) => decodeCheckResourceSetRequest(json, decode),
      requests: one,
      encode: (request, [response]) => encodeCheckResourceSetResponse(request, response!),
    }),
    CheckResourceBatch: checkHandler("CheckResourceBatch", deps, {
      input: CheckResourceBatchRequestSchema,
      output: CheckResourceBatchResponseSchema,
      decode: (json) => decodeCheckResourceBatchRequest(json, decode),
      requests: one,
      encode: (_request, [response]) => encodeCheckResourceBatchResponse(response!),
    }),
    ServerInfo: unaryHandler("ServerInfo", deps, () => {
      const info = pdp.serverInfo();
      return toBinary(
        ServerInfoResponseSchema,
        create(ServerInfoResponseSchema, {
          version: info.version,
          commit: info.commit,
          buildDate: info.buildDate,
        }),
      );
    }),
    // the same decoder and response shape as HTTP, through proto3 JSON
    PlanResources: unaryHandler("PlanResources", deps, async (bytes, _call, requestContext) => {
      const request = decodePlanResourcesRequest(
        requestJson(PlanResourcesRequestSchema, bytes),
        decode,
      );
      const response = await pdp.planResources(request, requestContext());
      return responseBytes(PlanResourcesResponseSchema, response);
    }),
  });
}
