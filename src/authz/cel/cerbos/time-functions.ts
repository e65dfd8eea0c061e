// Cerbos's clock functions: now() and timeSince(ts) (global and member forms). Both read the
// request's fixed clock from the evaluation context, so every call within one check sees the
// same instant and neither is ever constant-folded.

import type { CelLibrary, EvalContext } from "../library.ts";
import { T } from "../types.ts";
import { CelDuration, CelError, CelTimestamp, type CelResult, type CelValue } from "../value.ts";
import { noSuchOverload } from "../lib/value-ops.ts";

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const NANOS = 1_000_000_000n;

function clock(ctx: unknown): CelTimestamp | CelError {
  const context = ctx as Partial<EvalContext> | undefined;
  if (typeof context?.now !== "function")
    return new CelError("now() called without an evaluation context");
  return context.now();
}

/** Go's Time.Sub: the difference in nanoseconds, saturated to the int64 range. */
export function timestampDiff(a: CelTimestamp, b: CelTimestamp): CelDuration {
  let n = (BigInt(a.seconds) - BigInt(b.seconds)) * NANOS + BigInt(a.nanos - b.nanos);
  if (n > INT64_MAX) n = INT64_MAX;
  if (n < INT64_MIN) n = INT64_MIN;
  return new CelDuration(Number(n / NANOS), Number(n % NANOS));
}

function now(ctx: CelValue): CelResult {
  return clock(ctx);
}

function timeSince(ctx: CelValue, ts: CelValue): CelResult {
  if (!(ts instanceof CelTimestamp)) return noSuchOverload();
  const current = clock(ctx);
  return current instanceof CelError ? current : timestampDiff(current, ts);
}

export const timeFunctionsLibrary: CelLibrary = {
  name: "cerbos.lib.time",
  functions: [
    {
      name: "now",
      overloads: [{ id: "now", params: [], result: T.timestamp, impl: now, usesContext: true }],
    },
    {
      name: "timeSince",
      overloads: [
        {
          id: "timeSince_overload",
          params: [T.timestamp],
          result: T.duration,
          impl: timeSince,
          usesContext: true,
        },
        {
          id: "timeSince_member_overload",
          receiver: T.timestamp,
          params: [],
          result: T.duration,
          impl: timeSince,
          usesContext: true,
        },
      ],
    },
  ],
};
