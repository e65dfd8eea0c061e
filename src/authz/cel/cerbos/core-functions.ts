// Cerbos's small standalone functions: id(x) (the identity, handy to force a dynamic type)
// and the legacy `ip.inIPAddrRange(cidr)` on strings, superseded by the network library.

import type { CelLibrary } from "../library.ts";
import { T } from "../types.ts";
import { CelError, type CelResult, type CelValue } from "../value.ts";
import { legacyInRange } from "../lib/ip-address.ts";
import { noSuchOverload } from "../lib/value-ops.ts";

function inIPAddrRange(ip: CelValue, cidr: CelValue): CelResult {
  if (typeof ip !== "string" || typeof cidr !== "string") return noSuchOverload();
  const r = legacyInRange(ip, cidr);
  return typeof r === "boolean" ? r : new CelError(r.error);
}

export const coreFunctionsLibrary: CelLibrary = {
  name: "cerbos.lib.core",
  functions: [
    {
      name: "id",
      overloads: [{ id: "id_overload", params: [T.dyn], result: T.dyn, impl: (v) => v }],
    },
    {
      name: "inIPAddrRange",
      overloads: [
        {
          id: "inIPAddrRange_string",
          receiver: T.string,
          params: [T.string],
          result: T.bool,
          impl: inIPAddrRange,
        },
      ],
    },
  ],
};
