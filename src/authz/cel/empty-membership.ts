// `x in []` as Cerbos 0.55 evaluates it: false, whatever `x` is, even when reading `x` fails
// (`!(R.attr.missing in [])` allows there, found by experiment against the binary; a non-empty
// literal list still lets the error through). The rewrite replaces each such membership test
// against an empty list literal by the literal `false` before type checking, keeping the
// call's id and offset.

import type { Expr, MapEntryNode, StructFieldNode } from "./ast.ts";

export function foldEmptyMembership(e: Expr): Expr {
  switch (e.kind) {
    case "literal":
    case "ident":
      return e;
    case "select": {
      const operand = foldEmptyMembership(e.operand);
      return operand === e.operand ? e : { ...e, operand };
    }
    case "call": {
      const range = e.args[1];
      if (
        e.fn === "@in" &&
        e.target === undefined &&
        e.args.length === 2 &&
        range?.kind === "list" &&
        range.elements.length === 0
      )
        return { kind: "literal", id: e.id, offset: e.offset, value: false };
      const target = e.target && foldEmptyMembership(e.target);
      const args = mapSame(e.args, foldEmptyMembership);
      return target === e.target && args === e.args ? e : { ...e, target, args };
    }
    case "list": {
      const elements = mapSame(e.elements, foldEmptyMembership);
      return elements === e.elements ? e : { ...e, elements };
    }
    case "map": {
      const entries = mapSame(e.entries, (x: MapEntryNode) => {
        const key = foldEmptyMembership(x.key);
        const value = foldEmptyMembership(x.value);
        return key === x.key && value === x.value ? x : { ...x, key, value };
      });
      return entries === e.entries ? e : { ...e, entries };
    }
    case "struct": {
      const fields = mapSame(e.fields, (f: StructFieldNode) => {
        const value = foldEmptyMembership(f.value);
        return value === f.value ? f : { ...f, value };
      });
      return fields === e.fields ? e : { ...e, fields };
    }
    case "comprehension": {
      const iterRange = foldEmptyMembership(e.iterRange);
      const accuInit = foldEmptyMembership(e.accuInit);
      const loopCondition = foldEmptyMembership(e.loopCondition);
      const loopStep = foldEmptyMembership(e.loopStep);
      const result = foldEmptyMembership(e.result);
      return iterRange === e.iterRange &&
        accuInit === e.accuInit &&
        loopCondition === e.loopCondition &&
        loopStep === e.loopStep &&
        result === e.result
        ? e
        : { ...e, iterRange, accuInit, loopCondition, loopStep, result };
    }
  }
}

/** `xs.map(f)`, or `xs` itself when `f` changed nothing. */
function mapSame<T>(xs: readonly T[], f: (x: T) => T): readonly T[] {
  let out: T[] | undefined;
  for (let i = 0; i < xs.length; i++) {
    const y = f(xs[i] as T);
    if (out === undefined && y !== xs[i]) out = xs.slice(0, i);
    out?.push(y);
  }
  return out ?? xs;
}
