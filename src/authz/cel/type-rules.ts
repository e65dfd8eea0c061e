// How CEL types relate: printing them as cel-go does in messages, assignability with
// type-parameter binding (`A` in `list(A)`), and the runtime check used when an argument's
// static type is `dyn` and the overload has to be chosen from the value.

import type { CelType } from "./types.ts";
import {
  CelDuration,
  CelOptional,
  CelTimestamp,
  CelTypeValue,
  CelUint,
  type CelValue,
} from "./value.ts";
import { isCelMap } from "./maps.ts";

const FREE_TYPE_NAME = "_free";
export const DYN: CelType = { kind: "dyn" };
/** cel-go's free type variable (the element type of `[]`); printed as `dyn` like cel-go does. */
export const FREE_TYPE: CelType = { kind: "param", name: FREE_TYPE_NAME };

export function formatType(t: CelType): string {
  switch (t.kind) {
    case "null":
      return "null";
    case "list":
      return `list(${formatType(t.elem)})`;
    case "map":
      return `map(${formatType(t.key)}, ${formatType(t.value)})`;
    case "type":
      return t.of.kind === "dyn" ? "type" : `type(${formatType(t.of)})`;
    case "optional":
      return `optional_type(${formatType(t.of)})`;
    case "opaque":
      return t.params.length === 0 ? t.name : `${t.name}(${t.params.map(formatType).join(", ")})`;
    case "message":
      return t.name;
    case "param":
      return t.name === FREE_TYPE_NAME ? "dyn" : t.name;
    default:
      return t.kind;
  }
}

export type Substitution = Map<string, CelType>;

export function typeEquals(a: CelType, b: CelType): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case "list":
      return typeEquals(a.elem, (b as typeof a).elem);
    case "map":
      return typeEquals(a.key, (b as typeof a).key) && typeEquals(a.value, (b as typeof a).value);
    case "type":
    case "optional":
      return typeEquals(a.of, (b as typeof a).of);
    case "opaque": {
      const o = b as typeof a;
      return (
        a.name === o.name &&
        a.params.length === o.params.length &&
        a.params.every((p, i) => typeEquals(p, o.params[i]!))
      );
    }
    case "message":
    case "param":
      return a.name === (b as typeof a).name;
    default:
      return true;
  }
}

/** Whether a value of type `actual` may be passed where `formal` is expected, binding params. */
export function isAssignable(formal: CelType, actual: CelType, subst: Substitution): boolean {
  if (formal.kind === "param") {
    // A free variable on the argument side fits anything and binds nothing.
    if (actual.kind === "param") return true;
    const bound = subst.get(formal.name);
    if (bound === undefined) {
      // Bindings never mention parameters, so substitution cannot cycle.
      subst.set(formal.name, substitute(actual, new Map()));
      return true;
    }
    if (isAssignable(bound, actual, subst)) {
      // A dyn argument makes the parameter dyn (`[1] + [dyn(x)]` is list(dyn)), as in cel-go.
      if (actual.kind === "dyn" && bound.kind !== "dyn") subst.set(formal.name, DYN);
      return true;
    }
    // Widen a binding to dyn when the new argument is more general.
    if (isAssignable(actual, bound, new Map())) {
      subst.set(formal.name, actual);
      return true;
    }
    return false;
  }
  if (
    formal.kind === "dyn" ||
    actual.kind === "dyn" ||
    actual.kind === "error" ||
    formal.kind === "error"
  )
    return true;
  if (actual.kind === "param") return true;
  if (actual.kind === "null") {
    return (
      formal.kind === "null" ||
      formal.kind === "message" ||
      formal.kind === "opaque" ||
      formal.kind === "timestamp" ||
      formal.kind === "duration"
    );
  }
  if (formal.kind !== actual.kind) {
    // A library may declare its opaque type as a message by the same name.
    return (
      (formal.kind === "opaque" || formal.kind === "message") &&
      (actual.kind === "opaque" || actual.kind === "message") &&
      formal.name === actual.name
    );
  }
  switch (formal.kind) {
    case "list":
      return isAssignable(formal.elem, (actual as typeof formal).elem, subst);
    case "map":
      return (
        isAssignable(formal.key, (actual as typeof formal).key, subst) &&
        isAssignable(formal.value, (actual as typeof formal).value, subst)
      );
    case "type":
      // Type values compare at run time (`type(1) == type(1u)` is false, not a type error).
      return true;
    case "optional":
      return isAssignable(formal.of, (actual as typeof formal).of, subst);
    case "opaque": {
      const o = actual as typeof formal;
      return (
        formal.name === o.name &&
        formal.params.length === o.params.length &&
        formal.params.every((p, i) => isAssignable(p, o.params[i]!, subst))
      );
    }
    case "message":
      return formal.name === (actual as typeof formal).name;
    default:
      return true;
  }
}

/** Replaces bound params; unbound ones become dyn. */
export function substitute(t: CelType, subst: Substitution): CelType {
  switch (t.kind) {
    case "param": {
      const b = subst.get(t.name);
      return b === undefined || b.kind === "param" ? DYN : substitute(b, subst);
    }
    case "list":
      return { kind: "list", elem: substitute(t.elem, subst) };
    case "map":
      return { kind: "map", key: substitute(t.key, subst), value: substitute(t.value, subst) };
    case "type":
      return { kind: "type", of: substitute(t.of, subst) };
    case "optional":
      return { kind: "optional", of: substitute(t.of, subst) };
    case "opaque":
      return t.params.length === 0
        ? t
        : { kind: "opaque", name: t.name, params: t.params.map((p) => substitute(p, subst)) };
    default:
      return t;
  }
}

/** True when the type says nothing precise about the runtime value (so dispatch must look). */
export function isImprecise(t: CelType): boolean {
  return t.kind === "dyn" || t.kind === "param" || t.kind === "error" || t.kind === "null";
}

/** The most specific common type of two, or dyn. */
export function joinTypes(a: CelType, b: CelType): CelType {
  if (typeEquals(a, b)) return a;
  if (a.kind === "param") return b;
  if (b.kind === "param") return a;
  if (a.kind === "null" && isAssignable(b, a, new Map())) return b;
  if (b.kind === "null" && isAssignable(a, b, new Map())) return a;
  if (a.kind === b.kind) {
    if (a.kind === "list") return { kind: "list", elem: joinTypes(a.elem, (b as typeof a).elem) };
    if (a.kind === "map")
      return {
        kind: "map",
        key: joinTypes(a.key, (b as typeof a).key),
        value: joinTypes(a.value, (b as typeof a).value),
      };
    if (a.kind === "optional") return { kind: "optional", of: joinTypes(a.of, (b as typeof a).of) };
  }
  return DYN;
}

/** Whether a runtime value belongs to a (top-level) type; container element types are not checked. */
export function valueMatches(t: CelType, v: CelValue): boolean {
  switch (t.kind) {
    case "dyn":
    case "param":
    case "error":
      return true;
    case "null":
      return v === null;
    case "bool":
      return typeof v === "boolean";
    case "int":
      return typeof v === "bigint";
    case "uint":
      return v instanceof CelUint;
    case "double":
      return typeof v === "number";
    case "string":
      return typeof v === "string";
    case "bytes":
      return v instanceof Uint8Array;
    case "timestamp":
      return v instanceof CelTimestamp;
    case "duration":
      return v instanceof CelDuration;
    case "list":
      return Array.isArray(v);
    case "map":
    case "message":
      return isCelMap(v);
    case "type":
      return v instanceof CelTypeValue;
    case "optional":
      return v instanceof CelOptional;
    case "opaque":
      return typeof v === "object" && v !== null && "celTypeName" in v && v.celTypeName === t.name;
  }
}
