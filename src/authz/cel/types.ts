// CEL types as the checker sees them, and the constructors libraries use to declare
// function signatures. `dyn` is the gradual type: request attributes are dyn.

export type CelType =
  | { readonly kind: "dyn" }
  | { readonly kind: "null" }
  | { readonly kind: "bool" }
  | { readonly kind: "int" }
  | { readonly kind: "uint" }
  | { readonly kind: "double" }
  | { readonly kind: "string" }
  | { readonly kind: "bytes" }
  | { readonly kind: "timestamp" }
  | { readonly kind: "duration" }
  | { readonly kind: "error" }
  | { readonly kind: "list"; readonly elem: CelType }
  | { readonly kind: "map"; readonly key: CelType; readonly value: CelType }
  | { readonly kind: "type"; readonly of: CelType }
  | { readonly kind: "optional"; readonly of: CelType }
  /** Library types such as `net.IP`, `net.CIDR`, `hierarchy`. */
  | { readonly kind: "opaque"; readonly name: string; readonly params: readonly CelType[] }
  /** Declared structured types with known fields, e.g. `cerbos.engine.v1.Request.Principal`. */
  | { readonly kind: "message"; readonly name: string }
  /** A type parameter in an overload signature (`A` in `list(A).size() -> int`). */
  | { readonly kind: "param"; readonly name: string };

export const T = {
  dyn: { kind: "dyn" },
  null: { kind: "null" },
  bool: { kind: "bool" },
  int: { kind: "int" },
  uint: { kind: "uint" },
  double: { kind: "double" },
  string: { kind: "string" },
  bytes: { kind: "bytes" },
  timestamp: { kind: "timestamp" },
  duration: { kind: "duration" },
  error: { kind: "error" },
  list: (elem: CelType): CelType => ({ kind: "list", elem }),
  map: (key: CelType, value: CelType): CelType => ({ kind: "map", key, value }),
  type: (of: CelType): CelType => ({ kind: "type", of }),
  optional: (of: CelType): CelType => ({ kind: "optional", of }),
  opaque: (name: string, ...params: CelType[]): CelType => ({ kind: "opaque", name, params }),
  message: (name: string): CelType => ({ kind: "message", name }),
  param: (name: string): CelType => ({ kind: "param", name }),
} as const satisfies Record<string, CelType | ((...a: never[]) => CelType)>;
