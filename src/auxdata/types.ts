// Token verification contract: tokens from a request's auxData in, verified claims out, in
// the form the engine reads as `request.auxData.jwt` / `request.auxData.jwts.NAME.claims`.

import type { AuxData } from "../authz/engine/types.ts";
import type { RequestAuxData } from "../pdp/types.ts";

export interface AuxDataVerifier {
  /**
   * Resolves to the engine's AuxData (undefined when the request had none). Rejects with an
   * InvalidArgumentError whose message is Cerbos's (`invalid auxData`) when a token cannot be
   * verified; the reason goes to `cause` (and the log), never to the caller.
   */
  verify(aux: RequestAuxData | undefined): Promise<AuxData | undefined>;
  /** Stops background JWKS refreshes. */
  close(): void;
}
