// What the server measures. Layers record through this interface; main/ supplies the
// Prometheus implementation, and tests or library users can leave the no-op in place.

export type Protocol = "http" | "grpc";

export interface Metrics {
  /** One finished API call: `method` is the RPC name (`CheckResources`) or the HTTP route. */
  observeRequest(protocol: Protocol, method: string, status: number, seconds: number): void;
  /** One engine check call: how many resources and how long the engine took. */
  observeCheck(resources: number, seconds: number): void;
  /** One engine plan call: how long the engine took. */
  observePlan(seconds: number): void;
  /** One decision per action. */
  countDecision(effect: "EFFECT_ALLOW" | "EFFECT_DENY"): void;
  /** A policy (re)load: success or failure, and how many policies are now serving. */
  observeReload(ok: boolean, policies: number, seconds: number): void;
  /** Tokens refused, by reason (expired, signature, ...). */
  countTokenFailure(reason: string): void;
}

export const noMetrics: Metrics = {
  observeRequest: () => {},
  observeCheck: () => {},
  observePlan: () => {},
  countDecision: () => {},
  observeReload: () => {},
  countTokenFailure: () => {},
};
