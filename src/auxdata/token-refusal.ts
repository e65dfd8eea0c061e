// Why a token was refused. The caller only ever sees Cerbos's `invalid auxData`; the reason
// travels as the error's `cause`, labels the failure metric and goes to the log.

import { InvalidArgumentError } from "../kernel/errors.ts";

/** Metric label of a refusal: a small fixed set, never user input. */
export type RefusalReason =
  | "malformed"
  | "claims"
  | "no_key_set"
  | "unknown_key_set"
  | "key_set_unavailable"
  | "unknown_kid"
  | "algorithm"
  | "signature"
  | "expired"
  | "not_yet_valid"
  | "issued_in_future"
  | "issuer"
  | "audience";

export class TokenRefusal extends Error {
  readonly reason: RefusalReason;
  constructor(reason: RefusalReason, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.reason = reason;
    this.name = "TokenRefusal";
  }
}

/** The message Cerbos answers with for any token it cannot accept (gRPC INVALID_ARGUMENT). */
export const INVALID_AUX_DATA = "invalid auxData";

/** The error the API returns: Cerbos's message, with the refusal as `cause`. */
export function invalidAuxData(refusal: TokenRefusal): InvalidArgumentError {
  const err = new InvalidArgumentError("", INVALID_AUX_DATA);
  err.cause = refusal;
  return err;
}
