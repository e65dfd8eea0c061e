// The glue between protobuf-es method descriptors and @grpc/grpc-js: service definitions whose
// (de)serializers pass bytes through untouched, so grpc-js never loads protobufjs for our
// messages and each handler decodes inside its own error handling, and a unary wrapper that
// times the call, maps errors to gRPC statuses and records the metric.

import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type {
  handleUnaryCall,
  MethodDefinition,
  ServerUnaryCall,
  ServiceDefinition,
  UntypedHandleCall,
  UntypedServiceImplementation,
} from "@grpc/grpc-js";
import type { Logger } from "../../kernel/logger.ts";
import type { AccessRecord } from "../../audit/types.ts";
import type { RequestContext } from "../../pdp/types.ts";
import { requestContext } from "./request-context.ts";
import type { Metrics } from "../../kernel/metrics.ts";
import { toGrpcStatus } from "../cerbos-api/index.ts";

/** gRPC status codes this adapter answers with itself (the rest come from toGrpcStatus). */
export const Status = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  INTERNAL: 13,
  UNIMPLEMENTED: 12,
} as const;

/** A failure that is about gRPC itself (an unimplemented method, bytes that do not decode). */
export class RpcError extends Error {
  readonly code: number;
  constructor(code: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = "RpcError";
  }
}

export function statusOf(err: unknown): { code: number; message: string } {
  if (err instanceof RpcError) return { code: err.code, message: err.message };
  return toGrpcStatus(err);
}

const toBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** A grpc-js method definition for `method` that hands the handler the raw request bytes. */
export function rawMethodDefinition(method: DescMethod): MethodDefinition<Uint8Array, Uint8Array> {
  return {
    path: `/${method.parent.typeName}/${method.name}`,
    requestStream:
      method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
    responseStream:
      method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
    requestSerialize: toBuffer,
    requestDeserialize: (bytes: Buffer) => bytes,
    responseSerialize: toBuffer,
    responseDeserialize: (bytes: Buffer) => bytes,
    originalName: method.localName,
  };
}

/**
 * A service definition and implementation for the methods of `service` that `handlers` names
 * (by RPC name). grpc-js answers UNIMPLEMENTED for the others.
 */
export function serviceOf(
  service: DescService,
  handlers: Readonly<Record<string, UntypedHandleCall>>,
): { definition: ServiceDefinition; implementation: UntypedServiceImplementation } {
  const definition: Record<string, MethodDefinition<Uint8Array, Uint8Array>> = {};
  const implementation: UntypedServiceImplementation = {};
  for (const method of service.methods) {
    const handler = handlers[method.name];
    if (handler === undefined) continue;
    definition[method.name] = rawMethodDefinition(method);
    implementation[method.name] = handler;
  }
  for (const name of Object.keys(handlers)) {
    if (!service.methods.some((m) => m.name === name))
      throw new Error(`${service.typeName} has no method \`${name}\``);
  }
  return { definition, implementation };
}

export interface UnaryDeps {
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Access log: one record per call, under `/service/Method`, with the call's status code. */
  readonly access?: {
    readonly service: string;
    readonly record: (record: AccessRecord) => void;
  };
}

/**
 * A unary handler: `handle` gets the request bytes and the call, and returns (or resolves to)
 * the response bytes, or throws. Thrown errors become statuses: GatehouseError by the shared table, RpcError
 * by its code, anything else INTERNAL with its message kept in the log only.
 */
export function unaryHandler(
  name: string,
  deps: UnaryDeps,
  handle: (
    request: Uint8Array,
    call: ServerUnaryCall<Uint8Array, Uint8Array>,
    context: () => RequestContext,
  ) => Promise<Uint8Array> | Uint8Array,
): handleUnaryCall<Uint8Array, Uint8Array> {
  return (call, callback) => {
    const arrived = Date.now();
    const start = process.hrtime.bigint();
    // Built on first use, so the decision log and the access log share one call id.
    let made: RequestContext | undefined;
    const context = (): RequestContext => (made ??= requestContext(call));
    const finish = (code: number): void => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      deps.metrics.observeRequest("grpc", name, code, seconds);
      deps.access?.record({
        context: context(),
        timestamp: arrived,
        method: `/${deps.access.service}/${name}`,
        statusCode: code,
      });
    };
    // Through a promise, so a handler that throws synchronously is answered the same way.
    Promise.resolve(call.request)
      .then((request) => handle(request, call, context))
      .then(
        (response) => {
          finish(Status.OK);
          callback(null, response);
        },
        (err: unknown) => {
          const { code, message } = statusOf(err);
          if (code === Status.INTERNAL && !(err instanceof RpcError))
            deps.logger.error("rpc failed", { method: name, err });
          else deps.logger.debug("rpc refused", { method: name, code, message });
          finish(code);
          callback({ code, details: message });
        },
      );
  };
}
