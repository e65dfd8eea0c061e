// The gRPC listener: Cerbos's API service, the AuthZEN service and the standard health service on one
// @grpc/grpc-js server, plaintext or TLS, with a bounded message size and a graceful shutdown.

import { Server, ServerCredentials } from "@grpc/grpc-js";
import type { AccessRecord } from "../../audit/types.ts";
import { InvalidArgumentError } from "../../kernel/errors.ts";
import { parseListenAddress } from "../../kernel/listen-address.ts";
import type { Logger } from "../../kernel/logger.ts";
import type { Metrics } from "../../kernel/metrics.ts";
import type { PdpService } from "../../pdp/types.ts";
import type { DecodeOptions } from "../cerbos-api/index.ts";
import { authzenServiceName, createAuthzenService } from "./authzen-service.ts";
import { cerbosServiceName, createCerbosService } from "./cerbos-service.ts";
import { createHealthService } from "./health-service.ts";

export interface GrpcServerOptions {
  readonly pdp: PdpService;
  readonly decode: DecodeOptions;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /**
   * PEM. With `ca`, clients must present a certificate signed by it. (Cerbos verifies one only
   * when given; grpc-js can only request none or require one, and requiring is the safe side.)
   */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer; readonly ca?: Buffer };
  /** Larger request messages are refused with RESOURCE_EXHAUSTED before they are decoded. */
  readonly maxMessageBytes: number;
  /** How often health Watch streams look for a change; default 1000 ms. */
  readonly healthWatchIntervalMs?: number;
  /** Access log: called once per Cerbos or AuthZEN call (health checks are not logged). */
  readonly onAccess?: (record: AccessRecord) => void;
}

export interface GrpcServer {
  /**
   * Binds `addr` as Cerbos writes it (`host:port`, `:port` for every interface, `unix:/path`)
   * and resolves to the bound address, with the real port when `addr` asked for port 0.
   */
  listen(addr: string): Promise<string>;
  /** Stops accepting calls, lets running calls finish for `graceMs`, then cuts the rest. */
  shutdown(graceMs: number): Promise<void>;
}

export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  const { pdp, logger, metrics } = options;
  const server = new Server({
    "grpc.max_receive_message_length": options.maxMessageBytes,
  });
  const { onAccess } = options;
  const cerbos = createCerbosService({
    pdp,
    decode: options.decode,
    logger,
    metrics,
    ...(onAccess ? { access: { service: cerbosServiceName, record: onAccess } } : {}),
  });
  server.addService(cerbos.definition, cerbos.implementation);
  const authzen = createAuthzenService({
    pdp,
    decode: options.decode,
    logger,
    metrics,
    tls: options.tls !== undefined,
    ...(onAccess ? { access: { service: authzenServiceName, record: onAccess } } : {}),
  });
  server.addService(authzen.definition, authzen.implementation);
  const health = createHealthService({
    pdp,
    logger,
    metrics,
    services: [cerbosServiceName, authzenServiceName],
    ...(options.healthWatchIntervalMs === undefined
      ? {}
      : { watchIntervalMs: options.healthWatchIntervalMs }),
  });
  server.addService(health.definition, health.implementation);

  const credentials = options.tls
    ? ServerCredentials.createSsl(
        options.tls.ca ?? null,
        [{ cert_chain: options.tls.cert, private_key: options.tls.key }],
        options.tls.ca !== undefined,
      )
    : ServerCredentials.createInsecure();

  const bind = (target: string): Promise<number> =>
    new Promise((resolve, reject) => {
      server.bindAsync(target, credentials, (err, port) => (err ? reject(err) : resolve(port)));
    });

  let stopping: Promise<void> | undefined;

  return {
    async listen(addr) {
      const parsed = parseListenAddress(addr);
      if (typeof parsed === "string")
        throw new InvalidArgumentError("", `gRPC listen address ${parsed}`);
      if (parsed.kind === "unix") {
        await bind(addr);
        return addr;
      }
      const port = parsed.port;
      if (parsed.host !== "") {
        const bound = await bind(addr);
        return `${addr.slice(0, addr.lastIndexOf(":"))}:${bound}`;
      }
      // `:port` means every interface, as in Go; fall back to IPv4 where IPv6 is off.
      try {
        return `[::]:${await bind(`[::]:${port}`)}`;
      } catch {
        return `0.0.0.0:${await bind(`0.0.0.0:${port}`)}`;
      }
    },
    shutdown(graceMs) {
      stopping ??= new Promise((resolve) => {
        health.shutdown();
        const force = setTimeout(() => {
          logger.warn("grace period over, cancelling calls still running", { graceMs });
          server.forceShutdown();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      return stopping;
    },
  };
}
