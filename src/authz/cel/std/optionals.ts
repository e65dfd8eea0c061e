// cel-go's optional types library: optional.of/none/ofNonZeroValue, value, hasValue,
// orValue, or (the optMap/optFlatMap macros expand to these in the parser).

import { celEquals } from "../equality.ts";
import type { FunctionDecl } from "../library.ts";
import { isCelMap, mapSize } from "../maps.ts";
import { T } from "../types.ts";
import {
  CelDuration,
  CelError,
  CelOptional,
  CelTimestamp,
  CelUint,
  type CelResult,
  type CelValue,
} from "../value.ts";

const A = T.param("A");

/** Zero values as proto3 defines them: false, 0, "", empty bytes/list/map, null. */
export function isZeroValue(v: CelValue): boolean {
  if (v === null || v === false || v === 0n || v === 0 || v === "") return true;
  if (v instanceof CelUint) return v.value === 0n;
  if (v instanceof Uint8Array || Array.isArray(v)) return v.length === 0;
  if (v instanceof CelTimestamp || v instanceof CelDuration)
    return v.seconds === 0 && v.nanos === 0;
  if (isCelMap(v)) return mapSize(v) === 0;
  return celEquals(v, null);
}

type Impl = (...a: CelValue[]) => CelResult;

export const optionalFunctions: readonly FunctionDecl[] = [
  {
    name: "optional.of",
    overloads: [
      {
        id: "optional_of",
        params: [A],
        result: T.optional(A),
        impl: (v: CelValue) => new CelOptional(v),
      },
    ],
  },
  {
    name: "optional.ofNonZeroValue",
    overloads: [
      {
        id: "optional_ofNonZeroValue",
        params: [A],
        result: T.optional(A),
        impl: (v: CelValue) => (isZeroValue(v) ? CelOptional.none : new CelOptional(v)),
      },
    ],
  },
  {
    name: "optional.none",
    overloads: [
      { id: "optional_none", params: [], result: T.optional(A), impl: () => CelOptional.none },
    ],
  },
  {
    name: "value",
    overloads: [
      {
        id: "optional_value",
        receiver: T.optional(A),
        params: [],
        result: A,
        impl: ((o: CelOptional) => o.value ?? new CelError("optional.none() dereference")) as Impl,
      },
    ],
  },
  {
    name: "hasValue",
    overloads: [
      {
        id: "optional_hasValue",
        receiver: T.optional(A),
        params: [],
        result: T.bool,
        impl: ((o: CelOptional) => o.hasValue()) as Impl,
      },
    ],
  },
  {
    name: "orValue",
    overloads: [
      {
        id: "optional_orValue_value",
        receiver: T.optional(A),
        params: [A],
        result: A,
        impl: ((o: CelOptional, d: CelValue) => o.value ?? d) as Impl,
      },
    ],
  },
  {
    name: "or",
    overloads: [
      {
        id: "optional_or_optional",
        receiver: T.optional(A),
        params: [T.optional(A)],
        result: T.optional(A),
        impl: ((o: CelOptional, d: CelOptional) => (o.hasValue() ? o : d)) as Impl,
      },
    ],
  },
];
