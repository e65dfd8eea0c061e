// Token verification for requests' auxData (Cerbos's `auxData.jwt` and `auxData.jwts`) and the
// Gatehouse extension that builds a request's principal from a verified token's claims.

export type { AuxDataVerifier } from "./types.ts";
export { createAuxDataVerifier, type AuxDataVerifierDeps } from "./verifier.ts";
export { principalFromClaims, presetRoleClaims } from "./principal-from-claims.ts";
export { INVALID_AUX_DATA, TokenRefusal, type RefusalReason } from "./token-refusal.ts";
export { signatureAlgorithms } from "./key-set.ts";
