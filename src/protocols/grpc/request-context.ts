// Who is calling over gRPC, in the transport-neutral shape the PDP records in its audit log.

import type { ServerUnaryCall } from "@grpc/grpc-js";
import { newCallId } from "../../kernel/call-id.ts";
import type { RequestContext } from "../../pdp/types.ts";

/**
 * The call's peer, user agent and metadata (keys are lower-case in gRPC already). Binary
 * (`-bin`) values are given base64-encoded, as they travel on the wire.
 */
export function requestContext(
  call: Pick<ServerUnaryCall<unknown, unknown>, "metadata" | "getPeer">,
): RequestContext {
  const metadata: Record<string, string[]> = {};
  for (const [key, values] of Object.entries(call.metadata.toJSON())) {
    metadata[key.toLowerCase()] = values.map((v) =>
      typeof v === "string" ? v : v.toString("base64"),
    );
  }
  const userAgent = metadata["user-agent"]?.[0];
  const forwardedFor = metadata["x-forwarded-for"]?.[0];
  return {
    callId: newCallId(),
    protocol: "grpc",
    peer: {
      address: call.getPeer(),
      ...(userAgent === undefined ? {} : { userAgent }),
      ...(forwardedFor === undefined ? {} : { forwardedFor }),
    },
    metadata,
  };
}
