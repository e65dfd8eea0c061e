// The standard gRPC health service (grpc.health.v1.Health), as Cerbos serves it: the server
// ("") and each API service are SERVING once a policy set has loaded, NOT_SERVING before that
// and while shutting down. Load balancers and the official clients' checkHealth ask here.

import { create, toBinary } from "@bufbuild/protobuf";
import type {
  handleServerStreamingCall,
  ServiceDefinition,
  UntypedServiceImplementation,
} from "@grpc/grpc-js";
import type { Logger } from "../../kernel/logger.ts";
import type { Metrics } from "../../kernel/metrics.ts";
import type { PdpService } from "../../pdp/types.ts";
import { decodeMessage } from "./json-bridge.ts";
import {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthCheckResponseSchema,
} from "./gen/grpc/health/v1/health_pb.ts";
import { RpcError, serviceOf, Status, statusOf, unaryHandler } from "./rpc-method.ts";

export interface HealthServiceDeps {
  readonly pdp: PdpService;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The services reported on besides the server as a whole (""). */
  readonly services: readonly string[];
  /** How often open Watch streams look for a change; default 1000 ms. */
  readonly watchIntervalMs?: number;
}

export interface HealthService {
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
  /** Reports NOT_SERVING from now on and ends open Watch streams, so shutdown can drain. */
  shutdown(): void;
}

type Serving = (typeof ServingStatus)[keyof typeof ServingStatus];

const encode = (status: Serving): Uint8Array =>
  toBinary(HealthCheckResponseSchema, create(HealthCheckResponseSchema, { status }));

export function createHealthService(deps: HealthServiceDeps): HealthService {
  const known = new Set(["", ...deps.services]);
  /** Ends each open Watch stream. */
  const open = new Set<() => void>();
  let shuttingDown = false;

  const statusOfService = (service: string): Serving | undefined => {
    if (!known.has(service)) return undefined;
    return !shuttingDown && deps.pdp.policyStatus().serving
      ? ServingStatus.SERVING
      : ServingStatus.NOT_SERVING;
  };

  const watch: handleServerStreamingCall<Uint8Array, Uint8Array> = (call) => {
    const start = process.hrtime.bigint();
    let service: string;
    try {
      service = decodeMessage(HealthCheckRequestSchema, call.request).service;
    } catch (err) {
      const { code, message } = statusOf(err);
      call.emit("error", { code, details: message });
      return;
    }
    let last: Serving | undefined;
    const send = (): void => {
      // An unknown service is reported, and the stream stays open, as the protocol asks.
      const now = statusOfService(service) ?? ServingStatus.SERVICE_UNKNOWN;
      if (now !== last) call.write(encode(now));
      last = now;
    };
    let done = false;
    const stop = (): void => {
      if (done) return;
      done = true;
      clearInterval(timer);
      open.delete(end);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      deps.metrics.observeRequest("grpc", "Watch", Status.OK, seconds);
    };
    const end = (): void => {
      send();
      stop();
      call.end();
    };
    // Nothing tells us when the policy status changes, so open streams look for a change.
    const timer = setInterval(send, deps.watchIntervalMs ?? 1000);
    open.add(end);
    call.on("cancelled", stop);
    call.on("close", stop);
    send();
  };

  const { definition, implementation } = serviceOf(Health, {
    Check: unaryHandler("Check", deps, (bytes) => {
      const { service } = decodeMessage(HealthCheckRequestSchema, bytes);
      const status = statusOfService(service);
      if (status === undefined) throw new RpcError(Status.NOT_FOUND, "unknown service");
      return encode(status);
    }),
    Watch: watch,
  });

  return {
    definition,
    implementation,
    shutdown() {
      shuttingDown = true;
      for (const end of [...open]) end();
    },
  };
}
