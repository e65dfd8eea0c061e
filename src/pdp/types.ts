// The PDP as a service: the transport-neutral CheckResources and PlanResources contract that
// the HTTP and gRPC adapters call. Requests arrive here already decoded and validated (protocols/cerbos-api);
// responses leave in Cerbos's JSON shape, keys in Cerbos's (proto field) order, so the HTTP
// adapter only stringifies and the gRPC adapter only encodes.

import type { Effect, JsonValue } from "../authz/policy/model.ts";
import type { Principal, Resource, ValidationError } from "../authz/engine/types.ts";
import type { PlanFilter, PlanResource } from "../authz/planner/types.ts";

/** A token sent with a request, before verification. */
export interface JwtRef {
  readonly token: string;
  readonly keySetId?: string;
}

/** `auxData` as the request carries it: `jwt` or (Cerbos 0.55) named `jwts`, never both. */
export interface RequestAuxData {
  readonly jwt?: JwtRef;
  readonly jwts?: Readonly<Record<string, JwtRef>>;
}

export interface ResourceEntry {
  readonly actions: readonly string[];
  readonly resource: Resource;
}

/** A validated CheckResources request. */
export interface CheckResourcesRequest {
  /** "" when the caller sent none. */
  readonly requestId: string;
  /** Absent only when principal-from-token is enabled; the service then builds it. */
  readonly principal?: Principal;
  readonly resources: readonly ResourceEntry[];
  readonly auxData?: RequestAuxData;
  readonly includeMeta: boolean;
}

export interface EffectMeta {
  readonly matchedPolicy: string;
  readonly matchedScope?: string;
}

/** One entry of `results`, fields in Cerbos's order: resource, actions, validationErrors, meta, outputs. */
export interface ResultEntry {
  readonly resource: {
    readonly id: string;
    readonly kind: string;
    readonly policyVersion?: string;
    readonly scope?: string;
  };
  readonly actions: Readonly<Record<string, Effect>>;
  readonly validationErrors?: readonly ValidationError[];
  readonly meta?: {
    readonly actions: Readonly<Record<string, EffectMeta>>;
    readonly effectiveDerivedRoles?: readonly string[];
  };
  readonly outputs?: readonly { readonly src: string; readonly val: JsonValue }[];
}

export interface CheckResourcesResponse {
  readonly requestId: string;
  readonly results: readonly ResultEntry[];
  readonly cerbosCallId: string;
}

/**
 * A validated PlanResources request. Exactly one of `action` (deprecated) and `actions` was
 * sent; `actions` always lists what to plan (`[action]` for the deprecated form).
 */
export interface PlanResourcesRequest {
  /** "" when the caller sent none. */
  readonly requestId: string;
  /** The deprecated single action, when the request used it; the response then echoes it alone. */
  readonly action?: string;
  readonly actions: readonly string[];
  /** Absent only when principal-from-token is enabled; the service then builds it. */
  readonly principal?: Principal;
  /** `policyVersion` and `scope` only when sent non-empty, as for CheckResources. */
  readonly resource: PlanResource;
  readonly auxData?: RequestAuxData;
  readonly includeMeta: boolean;
  /** The request's `requestContext`, when it sent one: only the decision log records it. */
  readonly requestContext?: { readonly annotations?: Readonly<Record<string, unknown>> };
}

/** PlanResourcesResponse as Cerbos's JSON gateway writes it: proto field order, defaults left out. */
export interface PlanResourcesResponse {
  readonly requestId?: string;
  /** Set (and `actions` left out) when the request used the deprecated `action`. */
  readonly action?: string;
  readonly actions?: readonly string[];
  readonly resourceKind: string;
  /** As the request sent it; absent when it sent none (no default filled in). */
  readonly policyVersion?: string;
  readonly filter: PlanFilter;
  /** Only when the request asked for `includeMeta`. */
  readonly meta?: {
    readonly filterDebug?: string;
    /** Deprecated form: the scope that decided the one action, when not the root. */
    readonly matchedScope?: string;
    /** Per action, keys sorted; the root scope is "". */
    readonly matchedScopes?: Readonly<Record<string, string>>;
  };
  readonly validationErrors?: readonly ValidationError[];
  readonly cerbosCallId: string;
}

/** Who is calling and how; feeds the audit log. */
export interface RequestContext {
  readonly callId: string;
  readonly protocol: "http" | "grpc";
  readonly peer: {
    readonly address: string;
    readonly userAgent?: string;
    readonly forwardedFor?: string;
  };
  /** Request headers or gRPC metadata, lower-case keys, for audit `metadata` (filtered by config). */
  readonly metadata: Readonly<Record<string, readonly string[]>>;
}

export interface ServerInfo {
  readonly version: string;
  readonly commit: string;
  readonly buildDate: string;
}

/** What health endpoints and logs say about the policy set in use. */
export interface PolicyStatus {
  /** True once a policy set has loaded; the server is SERVING only then. */
  readonly serving: boolean;
  readonly policies: number;
  /** ISO time the serving set was loaded. */
  readonly loadedAt?: string;
  /** The last reload failed: its problems, formatted `file:line:col: message`; the previous set keeps serving. */
  readonly lastError?: { readonly at: string; readonly problems: readonly string[] };
}

export interface PdpService {
  /**
   * Verifies auxData tokens, builds the principal from a token when configured, checks every
   * resource against the current policy set and records the decision. Rejects with a
   * GatehouseError (INVALID_ARGUMENT for bad input or an unverifiable token).
   */
  checkResources(
    request: CheckResourcesRequest,
    context: RequestContext,
  ): Promise<CheckResourcesResponse>;
  /**
   * Verifies auxData tokens, settles the principal as checkResources does, asks the engine for
   * a query plan over all the request's actions and records the decision. Rejects with a
   * GatehouseError (INVALID_ARGUMENT for bad input or an unverifiable token).
   */
  planResources(
    request: PlanResourcesRequest,
    context: RequestContext,
  ): Promise<PlanResourcesResponse>;
  serverInfo(): ServerInfo;
  policyStatus(): PolicyStatus;
}
