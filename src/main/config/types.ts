// The server's configuration after loading: Cerbos's `.cerbos.yaml` keys that Gatehouse
// serves, with defaults applied, plus Gatehouse's own extensions under the top-level
// `gatehouse:` key. Every field here is resolved (interpolated, overridden, defaulted).

import type { JsonValue } from "../../authz/policy/model.ts";

export interface TlsConfig {
  readonly cert: string;
  readonly key: string;
  /** CA bundle that client certificates must chain to (mutual TLS); off when absent. */
  readonly caCert?: string;
}

export interface ServerConfig {
  /** `host:port`, `:port` (all interfaces) or `unix:/path`. Default `:3592`. */
  readonly httpListenAddr: string;
  /** Default `:3593`. */
  readonly grpcListenAddr: string;
  readonly tls?: TlsConfig;
  readonly requestLimits: {
    /** Default 50. */
    readonly maxActionsPerResource: number;
    /** Default 50. */
    readonly maxResourcesPerRequest: number;
  };
  /**
   * Largest accepted request body in bytes (HTTP and gRPC), from Cerbos's
   * `server.advanced.grpc.maxRecvMsgSizeBytes`. Default 4 MiB, as Cerbos's default.
   */
  readonly maxRequestBodyBytes: number;
  readonly cors: {
    readonly disabled: boolean;
    /** Default `["*"]`. */
    readonly allowedOrigins: readonly string[];
    /** Default `accept`, `content-type`, `user-agent`, `x-requested-with`, as Cerbos answers. */
    readonly allowedHeaders: readonly string[];
    /** Seconds a browser may cache a preflight answer; 0 sends no `Access-Control-Max-Age`. Default 0. */
    readonly maxAge: number;
  };
  /** Whether `/_cerbos/metrics` is served (Cerbos's `server.metricsEnabled`). Default true. */
  readonly metricsEnabled: boolean;
}

export interface DiskStorageConfig {
  readonly driver: "disk";
  readonly directory: string;
  readonly watchForChanges: boolean;
}

export interface EngineConfig {
  readonly defaultPolicyVersion: string;
  readonly defaultScope: string;
  readonly lenientScopeSearch: boolean;
  readonly globals: Readonly<Record<string, JsonValue>>;
  readonly strictEvaluation: boolean;
}

export interface SchemaConfig {
  readonly enforcement: "none" | "warn" | "reject";
}

/**
 * Cerbos's `insecure` key set options: accept keys that declare no `alg` (any algorithm the
 * key type allows) or no `kid` (any key may verify). PEM keys need both.
 */
export interface InsecureKeyOptions {
  readonly optionalAlg: boolean;
  readonly optionalKid: boolean;
}

export type KeySetConfig =
  | {
      readonly id: string;
      readonly insecure?: InsecureKeyOptions;
      readonly remote: {
        readonly url: string;
        /** Seconds; when absent the JWKS response's cache headers decide, floored at 1 min. */
        readonly refreshIntervalSeconds?: number;
      };
    }
  | {
      readonly id: string;
      readonly insecure?: InsecureKeyOptions;
      readonly local: {
        /** Exactly one of `file` and `data` (base64). */
        readonly file?: string;
        readonly data?: string;
        readonly pem: boolean;
      };
    };

export interface JwtConfig {
  readonly keySets: readonly KeySetConfig[];
  readonly disableVerification: boolean;
  /** Seconds of clock skew accepted for exp/nbf. Default 0 (Cerbos's default). */
  readonly acceptableTimeSkewSeconds: number;
  /** Verified-token cache entries. Default 256. */
  readonly cacheSize: number;
}

export interface AuditConfig {
  readonly enabled: boolean;
  readonly accessLogsEnabled: boolean;
  readonly decisionLogsEnabled: boolean;
  /** Only `file` is served. */
  readonly backend: "file";
  readonly file: {
    /** A path, or `stdout` / `stderr`. */
    readonly path: string;
  };
  /** Request headers copied into entries' `metadata`; Cerbos's `includeMetadataKeys` / `excludeMetadataKeys`. */
  readonly includeMetadataKeys: readonly string[];
  readonly excludeMetadataKeys: readonly string[];
}

/** Presets for where identity providers put roles and groups. */
export type ClaimPreset = "generic" | "keycloak" | "auth0" | "okta" | "jumpcloud" | "gatehouse";

export interface PrincipalFromTokenConfig {
  readonly enabled: boolean;
  /** Which token: `jwt` (the default) or a name under `auxData.jwts`. */
  readonly token: string;
  readonly preset: ClaimPreset;
  /** Dotted claim path for the principal id. Default `sub`. */
  readonly idClaim: string;
  /** Dotted claim paths (or, for namespaced claims, full URLs) whose string or list values become roles. */
  readonly roleClaims: readonly string[];
  /** Roles every token-built principal gets (e.g. `user`). */
  readonly defaultRoles: readonly string[];
  /** principal.attr name -> claim path. */
  readonly attrClaims: Readonly<Record<string, string>>;
  /** What to do when a request also names a principal: `reject` (default) or `merge` (explicit fields win). */
  readonly explicitPrincipal: "reject" | "merge";
}

/** Checks Cerbos cannot configure: per key set, the issuer, audiences and algorithms a token must have. */
export interface KeySetChecks {
  readonly issuer?: string;
  /** The token's `aud` must contain at least one of these. */
  readonly audiences?: readonly string[];
  /** Allowed `alg` values; by default the algorithms the key set's keys declare or imply. */
  readonly algorithms?: readonly string[];
}

export interface GatehouseExtensions {
  /** Worker processes sharing the listeners; 0 means one per core. Default 0. */
  readonly workers: number;
  readonly principalFromToken: PrincipalFromTokenConfig;
  /** `gatehouse.jwt.keySets.<id>`: extra checks for the key set with that id. */
  readonly jwt: { readonly keySets: Readonly<Record<string, KeySetChecks>> };
  readonly log: { readonly level: "debug" | "info" | "warn" | "error" };
}

export interface GatehouseConfig {
  readonly server: ServerConfig;
  readonly storage: DiskStorageConfig;
  readonly engine: EngineConfig;
  readonly schema: SchemaConfig;
  readonly auxData: { readonly jwt: JwtConfig };
  readonly audit: AuditConfig;
  readonly gatehouse: GatehouseExtensions;
  /** Where the config came from (for logs), or undefined for built-in defaults. */
  readonly source?: string;
}
