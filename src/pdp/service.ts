// The PDP service behind every transport: verify the request's tokens, settle who the
// principal is, run the engine once (a check over all resources, or a plan over all actions)
// with one clock reading, record the decision, and answer in Cerbos's response shape.

import type { Engine } from "../authz/index.ts";
import type { AuxData, CheckInput, CheckOutput, Principal } from "../authz/engine/types.ts";
import type { PlanInput, PlanOutput } from "../authz/planner/types.ts";
import type { JsonValue } from "../authz/policy/model.ts";
import type { DecisionLog } from "../audit/types.ts";
import type { AuxDataVerifier } from "../auxdata/types.ts";
import { GatehouseError, InvalidArgumentError } from "../kernel/errors.ts";
import type { Logger } from "../kernel/logger.ts";
import type { Metrics } from "../kernel/metrics.ts";
import type { PrincipalFromTokenConfig } from "../main/config/types.ts";
import { toResponse } from "./check-response.ts";
import { toPlanResponse } from "./plan-response.ts";
import type {
  CheckResourcesRequest,
  CheckResourcesResponse,
  PdpService,
  PlanResourcesRequest,
  PlanResourcesResponse,
  PolicyStatus,
  RequestContext,
  ServerInfo,
} from "./types.ts";

export type Claims = Readonly<Record<string, JsonValue>>;

export interface PdpServiceOptions {
  readonly policies: {
    current(): Engine | undefined;
    status(): PolicyStatus;
  };
  readonly verifier: AuxDataVerifier;
  readonly principalFromToken: PrincipalFromTokenConfig;
  /** Builds a principal from verified claims (the auxdata module's mapping). */
  readonly principalFromClaims: (claims: Claims, config: PrincipalFromTokenConfig) => Principal;
  readonly decisionLog?: DecisionLog;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly serverInfo: ServerInfo;
  /** Epoch milliseconds; read once per request. */
  readonly now?: () => number;
}

export function createPdpService(options: PdpServiceOptions): PdpService {
  const { policies, verifier, metrics, logger, decisionLog } = options;
  const now = options.now ?? Date.now;
  const fromToken = options.principalFromToken;

  const principalFor = (
    request: { readonly principal?: Principal | undefined },
    aux: AuxData | undefined,
  ): Principal => {
    const claims = fromToken.enabled ? tokenClaims(aux, fromToken.token) : undefined;
    const explicit = request.principal;
    if (claims === undefined) {
      if (explicit) return explicit;
      throw new InvalidArgumentError(
        "principal",
        fromToken.enabled
          ? `value is required when the request has no \`${fromToken.token}\` token to build it from`
          : "value is required",
      );
    }
    const built = options.principalFromClaims(claims, fromToken);
    if (!explicit) return built;
    if (fromToken.explicitPrincipal === "reject") {
      throw new InvalidArgumentError(
        "principal",
        `must not be sent with a \`${fromToken.token}\` token: the principal is built from the token (set principalFromToken.explicitPrincipal to \`merge\` to allow both)`,
      );
    }
    return mergePrincipals(explicit, built);
  };

  return {
    async checkResources(
      request: CheckResourcesRequest,
      context: RequestContext,
    ): Promise<CheckResourcesResponse> {
      const auxData = await verifier.verify(request.auxData);
      const principal = principalFor(request, auxData);
      const engine = policies.current();
      if (!engine) throw new GatehouseError("INTERNAL", "no policy set is loaded");

      const inputs: CheckInput[] = request.resources.map((entry) => ({
        ...(request.requestId ? { requestId: request.requestId } : {}),
        principal,
        resource: entry.resource,
        actions: entry.actions,
        ...(auxData ? { auxData } : {}),
      }));

      // one clock reading: every now() of the request and the decision log agree
      const time = now();
      const started = performance.now();
      let outputs: CheckOutput[];
      try {
        outputs = engine.check(inputs, { now: () => time });
      } catch (e) {
        logger.error("the engine failed", { callId: context.callId, error: e });
        throw new GatehouseError("INTERNAL", "internal error", { cause: e });
      }
      metrics.observeCheck(inputs.length, (performance.now() - started) / 1000);
      for (const out of outputs)
        for (const a of Object.values(out.actions)) metrics.countDecision(a.effect);

      decisionLog?.recordDecision({ context, timestamp: time, inputs, outputs });
      return toResponse(
        request.requestId,
        request.resources,
        outputs,
        request.includeMeta,
        context.callId,
      );
    },
    async planResources(
      request: PlanResourcesRequest,
      context: RequestContext,
    ): Promise<PlanResourcesResponse> {
      const auxData = await verifier.verify(request.auxData);
      const principal = principalFor(request, auxData);
      const engine = policies.current();
      if (!engine) throw new GatehouseError("INTERNAL", "no policy set is loaded");

      const input: PlanInput = {
        ...(request.requestId ? { requestId: request.requestId } : {}),
        actions: request.actions,
        ...(request.action !== undefined ? { action: request.action } : {}),
        principal,
        resource: request.resource,
        ...(auxData ? { auxData } : {}),
      };
      const time = now();
      const record = {
        context,
        timestamp: time,
        input,
        includeMeta: request.includeMeta,
        ...(request.requestContext ? { requestContext: request.requestContext } : {}),
      };
      let output: PlanOutput;
      try {
        const started = performance.now();
        output = engine.plan(input, { now: () => time });
        metrics.observePlan((performance.now() - started) / 1000);
      } catch (e) {
        logger.error("the engine failed to plan", { callId: context.callId, error: e });
        // Cerbos logs failed plans too, with the error in place of the output
        decisionLog?.recordPlan({ ...record, error: e instanceof Error ? e.message : String(e) });
        // Cerbos's answer to a failed plan, word for word
        throw new GatehouseError("INTERNAL", "Resources query plan request failed", { cause: e });
      }
      decisionLog?.recordPlan({ ...record, output });
      return toPlanResponse(request, output, context.callId);
    },
    serverInfo: () => options.serverInfo,
    policyStatus: () => policies.status(),
  };
}

function tokenClaims(aux: AuxData | undefined, name: string): Claims | undefined {
  if (!aux) return undefined;
  return name === "jwt" ? aux.jwt : aux.jwts?.[name]?.claims;
}

/** `merge`: the request's fields win; attributes are merged key by key. */
export function mergePrincipals(explicit: Principal, fromToken: Principal): Principal {
  const attr = { ...fromToken.attr, ...explicit.attr };
  const policyVersion = explicit.policyVersion || fromToken.policyVersion;
  const scope = explicit.scope || fromToken.scope;
  return {
    id: explicit.id || fromToken.id,
    roles: explicit.roles.length > 0 ? explicit.roles : fromToken.roles,
    ...(Object.keys(attr).length > 0 ? { attr } : {}),
    ...(policyVersion ? { policyVersion } : {}),
    ...(scope ? { scope } : {}),
  };
}
