// The policy decision point as a service: the serving policy set with its reloads, and the
// transport-neutral CheckResources and PlanResources service the HTTP and gRPC adapters call.

export type * from "./types.ts";
export type { PolicyReloader, PolicyReloaderOptions } from "./policy-reloader.ts";
export { createPolicyReloader } from "./policy-reloader.ts";
export type { Claims, PdpServiceOptions } from "./service.ts";
export { createPdpService, mergePrincipals } from "./service.ts";
export type { ApiOutputEntry } from "./check-response.ts";
export { toResponse, toResultEntry } from "./check-response.ts";
export { toPlanResponse } from "./plan-response.ts";
