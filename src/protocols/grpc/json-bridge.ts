// How a gRPC call reaches the PDP: the binary request becomes proto3 JSON, the very form an
// HTTP body has, and protocols/cerbos-api decodes and validates it; the answer, built in
// Cerbos's JSON shape, becomes the binary response. So both transports accept and refuse the
// same requests with the same messages, and only protocols/cerbos-api knows the API's rules.

import {
  fromBinary,
  fromJson,
  toBinary,
  toJson,
  type DescMessage,
  type JsonValue,
  type MessageShape,
} from "@bufbuild/protobuf";
import type { handleUnaryCall } from "@grpc/grpc-js";
import type { CheckResourcesRequest, CheckResourcesResponse, PdpService } from "../../pdp/types.ts";
import { RpcError, Status, unaryHandler, type UnaryDeps } from "./rpc-method.ts";

/** Binary request -> message, failing as gRPC-Go does for bytes that are not the message. */
export function decodeMessage<Desc extends DescMessage>(
  schema: Desc,
  bytes: Uint8Array,
): MessageShape<Desc> {
  try {
    return fromBinary(schema, bytes);
  } catch (e) {
    throw new RpcError(
      Status.INTERNAL,
      `grpc: error unmarshalling request: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
}

/** Binary request -> proto3 JSON. */
export function requestJson(schema: DescMessage, bytes: Uint8Array): JsonValue {
  const message = decodeMessage(schema, bytes);
  try {
    return toJson(schema, message);
  } catch (e) {
    // Only values JSON cannot carry get here (a NaN or infinite number in a google.protobuf.Value).
    throw new RpcError(
      Status.INVALID_ARGUMENT,
      `invalid request: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
}

/** An answer in the API's JSON shape -> binary response. */
export function responseBytes(schema: DescMessage, json: unknown): Uint8Array {
  // The encoders build plain JSON-shaped objects; JsonValue is their structural type.
  return toBinary(schema, fromJson(schema, json as JsonValue));
}

export interface CheckRoute<Decoded> {
  readonly input: DescMessage;
  readonly output: DescMessage;
  /** protocols/cerbos-api's decoder for this method: JSON -> what the PDP is asked. */
  readonly decode: (json: JsonValue) => Decoded;
  readonly requests: (decoded: Decoded) => readonly CheckResourcesRequest[];
  /** protocols/cerbos-api's encoder: the PDP's answers -> this method's JSON response. */
  readonly encode: (decoded: Decoded, responses: readonly CheckResourcesResponse[]) => unknown;
}

/**
 * A unary handler for a method answered by CheckResources calls (CheckResources itself, the
 * deprecated CheckResourceSet and CheckResourceBatch, AuthZEN evaluations).
 */
export function checkHandler<Decoded>(
  name: string,
  deps: UnaryDeps & { readonly pdp: PdpService },
  route: CheckRoute<Decoded>,
): handleUnaryCall<Uint8Array, Uint8Array> {
  return unaryHandler(name, deps, async (bytes, _call, requestContext) => {
    const decoded = route.decode(requestJson(route.input, bytes));
    const context = requestContext();
    const responses: CheckResourcesResponse[] = [];
    // One after the other, as over HTTP, so decision log entries keep the request's order.
    for (const request of route.requests(decoded))
      responses.push(await deps.pdp.checkResources(request, context));
    return responseBytes(route.output, route.encode(decoded, responses));
  });
}
