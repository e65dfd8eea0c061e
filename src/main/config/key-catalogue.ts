// Every configuration key Cerbos 0.55 knows, marked as served by Gatehouse or ignored (with the
// reason), plus Gatehouse's own keys under `gatehouse:`. Checking a tree against it reports keys
// nobody knows as errors (with a "did you mean" hint) and Cerbos keys Gatehouse does not serve as
// warnings, so a Cerbos config file loads unchanged and its author learns what has no effect.
// Cerbos itself ignores unknown top-level keys and rejects unknown keys inside a section;
// Gatehouse rejects both, because a misspelt section silently falling back to defaults is the
// worse failure. Types and ranges of served keys are checked where the config is built.

import type { Diagnostic } from "../../kernel/diagnostic.ts";
import { diagnosticAt, type ConfigNode } from "./config-tree.ts";
import { didYouMean } from "./suggest-key.ts";

export type KeySpec =
  /** A value Gatehouse reads; its type is checked when the config is built. */
  | { readonly kind: "served" }
  /** Served, with free-form content (`engine.globals`). */
  | { readonly kind: "free" }
  /** A Cerbos key Gatehouse does not serve: a warning, and its content is not looked at. */
  | { readonly kind: "ignored"; readonly reason: string }
  | { readonly kind: "fields"; readonly fields: Readonly<Record<string, KeySpec>> }
  | { readonly kind: "list"; readonly item: KeySpec }
  /** A map whose keys are names the author chooses. */
  | { readonly kind: "record"; readonly value: KeySpec };

const served: KeySpec = { kind: "served" };
const free: KeySpec = { kind: "free" };
const ignored = (reason: string): KeySpec => ({ kind: "ignored", reason });
const fields = (f: Record<string, KeySpec>): KeySpec => ({ kind: "fields", fields: f });

const notADriver = ignored("gatehouse reads policies from `storage.disk` only");
const notABackend = ignored("gatehouse writes audit logs with the `file` backend only");
const timeoutNotServed = ignored("gatehouse uses Node's defaults for connection timeouts");

export const keyCatalogue: KeySpec = fields({
  server: fields({
    httpListenAddr: served,
    grpcListenAddr: served,
    tls: fields({ cert: served, key: served, caCert: served }),
    requestLimits: fields({ maxActionsPerResource: served, maxResourcesPerRequest: served }),
    cors: fields({
      disabled: served,
      allowedOrigins: served,
      allowedHeaders: served,
      maxAge: served,
    }),
    metricsEnabled: served,
    advanced: fields({
      grpc: fields({
        maxRecvMsgSizeBytes: served,
        connectionTimeout: timeoutNotServed,
        maxConcurrentStreams: ignored("gatehouse leaves stream limits to the gRPC library"),
        maxConnectionAge: timeoutNotServed,
      }),
      http: fields({
        idleTimeout: timeoutNotServed,
        readHeaderTimeout: timeoutNotServed,
        readTimeout: timeoutNotServed,
        writeTimeout: timeoutNotServed,
      }),
    }),
    adminAPI: ignored("gatehouse has no admin API"),
    apiExplorerEnabled: ignored("gatehouse has no API explorer"),
    playgroundEnabled: ignored("gatehouse has no playground"),
    logRequestPayloads: ignored("gatehouse does not log request payloads"),
    udsFileMode: ignored("Unix sockets get the process's default file mode"),
    authzen: ignored("gatehouse serves the AuthZEN endpoints on the HTTP listener"),
  }),
  storage: fields({
    driver: served,
    disk: fields({ directory: served, watchForChanges: served }),
    blob: notADriver,
    bundle: notADriver,
    git: notADriver,
    hub: notADriver,
    mysql: notADriver,
    overlay: notADriver,
    postgres: notADriver,
    sqlite3: notADriver,
    sqlserver: notADriver,
  }),
  engine: fields({
    defaultPolicyVersion: served,
    defaultScope: served,
    lenientScopeSearch: served,
    globals: free,
    strictEvaluation: served,
    celErrorLogLevel: ignored("condition errors are reported in responses and decision logs"),
    policyLoaderTimeout: ignored("policies are compiled in memory when they load"),
  }),
  schema: fields({
    enforcement: served,
    cacheSize: ignored("schemas are compiled once when policies load"),
  }),
  auxData: fields({
    jwt: fields({
      acceptableTimeSkew: served,
      cacheSize: served,
      disableVerification: served,
      keySets: {
        kind: "list",
        item: fields({
          id: served,
          local: fields({ data: served, file: served, pem: served }),
          remote: fields({ url: served, refreshInterval: served }),
          insecure: fields({ optionalAlg: served, optionalKid: served }),
        }),
      },
    }),
  }),
  audit: fields({
    enabled: served,
    accessLogsEnabled: served,
    decisionLogsEnabled: served,
    backend: served,
    includeMetadataKeys: served,
    excludeMetadataKeys: served,
    file: fields({
      path: served,
      additionalPaths: ignored("entries go to `audit.file.path` only"),
      logRotation: ignored("rotate the file with an external tool such as logrotate"),
    }),
    decisionLogFilters: ignored("every decision is logged"),
    local: notABackend,
    kafka: notABackend,
    hub: notABackend,
  }),
  compile: ignored("policies are compiled once when they load"),
  hub: ignored("gatehouse does not connect to Cerbos Hub"),
  telemetry: ignored("gatehouse sends no telemetry"),
  tracing: ignored("gatehouse does not export traces"),
  gatehouse: fields({
    workers: served,
    log: fields({ level: served }),
    principalFromToken: fields({
      enabled: served,
      token: served,
      preset: served,
      idClaim: served,
      roleClaims: served,
      defaultRoles: served,
      attrClaims: free,
      explicitPrincipal: served,
    }),
    jwt: fields({
      keySets: {
        kind: "record",
        value: fields({ issuer: served, audiences: served, algorithms: served }),
      },
    }),
  }),
});

/** Reports unknown keys (errors) and Cerbos keys Gatehouse ignores (warnings) under `node`. */
export function checkKeys(
  node: ConfigNode,
  spec: KeySpec,
  path: string,
  errors: Diagnostic[],
  warnings: Diagnostic[],
): void {
  switch (spec.kind) {
    case "served":
    case "free":
    case "ignored":
      return;
    case "list":
      if (node.kind === "list") {
        node.items.forEach((item, i) =>
          checkKeys(item, spec.item, `${path}[${i}]`, errors, warnings),
        );
      }
      return;
    case "record":
      if (node.kind === "map") {
        for (const [key, entry] of node.entries) {
          checkKeys(entry.value, spec.value, join(path, key), errors, warnings);
        }
      }
      return;
    case "fields":
      if (node.kind !== "map") return;
      for (const [key, entry] of node.entries) {
        const child = spec.fields[key];
        const childPath = join(path, key);
        if (child === undefined) {
          const where = path === "" ? "at the top level" : `in \`${path}\``;
          errors.push(
            diagnosticAt(
              entry.keyPlace,
              "unknown configuration key",
              `\`${childPath}\` is not a setting ${where}${didYouMean(key, Object.keys(spec.fields))}`,
              `$.${childPath}`,
            ),
          );
        } else if (child.kind === "ignored") {
          warnings.push(
            diagnosticAt(
              entry.keyPlace,
              "ignored configuration key",
              `\`${childPath}\` is a Cerbos setting gatehouse does not serve, so it is ignored: ${child.reason}`,
              `$.${childPath}`,
            ),
          );
        } else {
          checkKeys(entry.value, child, childPath, errors, warnings);
        }
      }
  }
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}
