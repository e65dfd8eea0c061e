// Partial evaluation of CEL for the query planner: evaluates an expression in which some
// attributes are unknown (the resource's, when planning) and returns its value or, when the value
// depends on the unknowns, the residual expression: the original tree with every subtree whose
// value was computed replaced by a literal. It follows cel-go's partial evaluation of an
// unchecked AST (attribute resolution with candidate qualified names, unknowns absorbing errors in
// `&&`/`||`, strict calls returning the first unknown or error) and cel-go's AST pruning from the
// recorded evaluation state, because Cerbos's planner builds its answers from exactly those.

import {
  formatKey,
  indexOptional,
  indexValue,
  selectField,
  selectOptional,
  testField,
} from "./access.ts";
import { foldEmptyMembership } from "./empty-membership.ts";
import type { CallNode, Expr, MapEntryNode } from "./ast.ts";
import type { CallResolution } from "./checker.ts";
import { dispatch } from "./dispatch.ts";
import type { Environment } from "./environment.ts";
import { typeValueName } from "./evaluator.ts";
import type { EvalContext, Overload } from "./library.ts";
import { isCelMap, isValidMapKey, mapEntries, mapKeys, mapSize, runtimeTypeName } from "./maps.ts";
import { parseCel } from "./parser.ts";
import { formatDuration, formatTimestamp } from "./time.ts";
import {
  CelDuration,
  CelError,
  CelOptional,
  CelTimestamp,
  CelTypeValue,
  CelUint,
  type CelMapKey,
  type CelValue,
} from "./value.ts";

/** A value that depends on unknown attributes. */
export class CelUnknown {
  readonly celUnknown = true as const;
  static readonly instance = new CelUnknown();
  private constructor() {}
}

export const UNKNOWN = CelUnknown.instance;

export type PartialValue = CelValue | CelError | CelUnknown;

/** An attribute pattern that marks values unknown: a variable and a prefix of field names. */
export interface UnknownPattern {
  readonly variable: string;
  readonly fields: readonly string[];
}

export interface PartialVariables {
  /** Known variables by name; names may be dotted (`R.attr.owner`), as cel-go allows. */
  readonly known: ReadonlyMap<string, CelValue>;
  readonly unknowns: readonly UnknownPattern[];
  readonly ctx: EvalContext;
}

export interface PartialResult {
  readonly value: PartialValue;
  /** The expression with everything that could be computed replaced by literals. */
  readonly residual: Expr;
}

const NO_SUCH_OVERLOAD = new CelError("no such overload");

export function isUnknown(v: unknown): v is CelUnknown {
  return v === UNKNOWN;
}

function isUnknownOrError(v: PartialValue): v is CelUnknown | CelError {
  return v === UNKNOWN || v instanceof CelError;
}

/** Cerbos's message values (request, principal): not maps to a residual, only to field reads. */
function isMessageValue(v: unknown): boolean {
  return typeof v === "object" && v !== null && "fieldNames" in v && "celMapLike" in v;
}

// ---- building expressions -------------------------------------------------------------------

export function mkLiteral(value: CelValue): Expr {
  return { kind: "literal", id: 0, offset: 0, value };
}

export function mkIdent(name: string): Expr {
  return { kind: "ident", id: 0, offset: 0, name };
}

export function mkSelect(operand: Expr, field: string, testOnly = false): Expr {
  return { kind: "select", id: 0, offset: 0, operand, field, testOnly, optional: false };
}

export function mkCall(fn: string, args: readonly Expr[], target?: Expr): CallNode {
  return { kind: "call", id: 0, offset: 0, fn, target, args };
}

export function mkList(elements: readonly Expr[]): Expr {
  return { kind: "list", id: 0, offset: 0, elements, optionalIndices: [] };
}

/**
 * The expression cel-go's pruner writes for a computed value: a literal for scalars, `duration`
 * and `timestamp` calls, list and map literals of such; undefined for other values (types,
 * optionals, opaque values, messages), which keep their original expression.
 */
export function valueExpr(v: CelValue): Expr | undefined {
  if (
    v === null ||
    typeof v === "boolean" ||
    typeof v === "bigint" ||
    typeof v === "number" ||
    typeof v === "string" ||
    v instanceof CelUint ||
    v instanceof Uint8Array
  )
    return mkLiteral(v);
  if (v instanceof CelDuration) return mkCall("duration", [mkLiteral(formatDuration(v))]);
  if (v instanceof CelTimestamp) return mkCall("timestamp", [mkLiteral(formatTimestamp(v))]);
  if (Array.isArray(v)) {
    const elements: Expr[] = [];
    for (const x of v as readonly CelValue[]) {
      const e = valueExpr(x);
      if (e === undefined) return undefined;
      elements.push(e);
    }
    return mkList(elements);
  }
  if (isCelMap(v) && !isMessageValue(v)) {
    const entries: MapEntryNode[] = [];
    for (const [k, x] of mapEntries(v)) {
      if (x instanceof CelError) return undefined;
      const key = valueExpr(k);
      const value = valueExpr(x);
      if (key === undefined || value === undefined) return undefined;
      entries.push({ offset: 0, key, value, optional: false });
    }
    return { kind: "map", id: 0, offset: 0, entries };
  }
  return undefined;
}

// ---- parsing --------------------------------------------------------------------------------

const parsed = new Map<string, Expr | undefined>();

/**
 * The tree of a condition or variable expression as Cerbos's planner sees it: chains of `&&` and
 * `||` balanced the way cel-go's parser balances them. Undefined when the source does not parse.
 * Parsed once per source.
 */
export function plannerExpression(source: string): Expr | undefined {
  if (parsed.has(source)) return parsed.get(source);
  const r = parseCel(source);
  const e = r.expr === undefined ? undefined : normalize(foldEmptyMembership(r.expr), new Set());
  parsed.set(source, e);
  return e;
}

function flattenLogic(e: Expr, fn: string, out: Expr[]): void {
  // The parser builds `a && b && c` leaning left; parenthesised right operands stay terms.
  if (e.kind === "call" && e.fn === fn && e.target === undefined && e.args.length === 2) {
    flattenLogic(e.args[0]!, fn, out);
    out.push(e.args[1]!);
  } else out.push(e);
}

function balance(fn: string, terms: readonly Expr[], lo: number, hi: number): Expr {
  // cel-go's parser balancer over operators lo..hi (terms lo..hi+1)
  const mid = Math.floor((lo + hi + 1) / 2);
  const left = mid === lo ? terms[mid]! : balance(fn, terms, lo, mid - 1);
  const right = mid === hi ? terms[mid + 1]! : balance(fn, terms, mid + 1, hi);
  return mkCall(fn, [left, right]);
}

/** cel-go expands these macros at parse time into calls of internal functions. */
const MATH_MACROS: ReadonlyMap<string, string> = new Map([
  ["greatest", "math.@max"],
  ["least", "math.@min"],
]);

/**
 * The residual as Cerbos's planner reports it: `R` and `P` written out as `request.resource` and
 * `request.principal` wherever they are not comprehension variables, and `math.greatest` and
 * `math.least` as the `math.@max` and `math.@min` calls cel-go's macros make of them.
 */
export function expandShorthands(e: Expr): Expr {
  return normalize(e, new Set(), true, false);
}

function normalize(e: Expr, bound: ReadonlySet<string>, rename = false, balanced = true): Expr {
  switch (e.kind) {
    case "literal":
      return e;
    case "ident":
      if (!rename || bound.has(e.name)) return e;
      if (e.name === "R") return mkSelect(mkIdent("request"), "resource");
      if (e.name === "P") return mkSelect(mkIdent("request"), "principal");
      return e;
    case "select":
      return { ...e, operand: normalize(e.operand, bound, rename, balanced) };
    case "call": {
      if (balanced && (e.fn === "_&&_" || e.fn === "_||_") && e.target === undefined) {
        const terms: Expr[] = [];
        flattenLogic(e, e.fn, terms);
        const normalized = terms.map((t) => normalize(t, bound, rename, balanced));
        return balance(e.fn, normalized, 0, normalized.length - 2);
      }
      const macro = rename ? MATH_MACROS.get(e.fn) : undefined;
      if (
        macro !== undefined &&
        e.target?.kind === "ident" &&
        e.target.name === "math" &&
        !bound.has("math")
      )
        return mkCall(
          macro,
          e.args.map((a) => normalize(a, bound, rename, balanced)),
        );
      return {
        ...e,
        target: e.target === undefined ? undefined : normalize(e.target, bound, rename, balanced),
        args: e.args.map((a) => normalize(a, bound, rename, balanced)),
      };
    }
    case "list":
      return { ...e, elements: e.elements.map((x) => normalize(x, bound, rename, balanced)) };
    case "map":
      return {
        ...e,
        entries: e.entries.map((x) => ({
          ...x,
          key: normalize(x.key, bound, rename, balanced),
          value: normalize(x.value, bound, rename, balanced),
        })),
      };
    case "struct":
      return {
        ...e,
        fields: e.fields.map((f) => ({ ...f, value: normalize(f.value, bound, rename, balanced) })),
      };
    case "comprehension": {
      const withAccu = new Set(bound).add(e.accuVar);
      const inLoop = new Set(withAccu).add(e.iterVar);
      if (e.iterVar2 !== undefined) inLoop.add(e.iterVar2);
      return {
        ...e,
        iterRange: normalize(e.iterRange, bound, rename, balanced),
        accuInit: normalize(e.accuInit, bound, rename, balanced),
        loopCondition: normalize(e.loopCondition, inLoop, rename, balanced),
        loopStep: normalize(e.loopStep, inLoop, rename, balanced),
        result: normalize(e.result, withAccu, rename, balanced),
      };
    }
  }
}

// ---- evaluation -----------------------------------------------------------------------------

type Qualifier =
  | {
      readonly node: Expr;
      readonly kind: "field";
      readonly name: string;
      readonly testOnly: boolean;
      readonly optional: boolean;
    }
  | {
      readonly node: Expr;
      readonly kind: "index";
      readonly index: Expr;
      readonly optional: boolean;
    };

class PartialEvaluator {
  readonly env: Environment;
  readonly vars: PartialVariables;
  /** The value each evaluated node produced (the last one, inside comprehensions). */
  readonly state = new Map<Expr, PartialValue>();
  readonly locals: Map<string, PartialValue>[] = [];

  constructor(env: Environment, vars: PartialVariables) {
    this.env = env;
    this.vars = vars;
  }

  eval(e: Expr): PartialValue {
    const v = this.evalNode(e);
    this.state.set(e, v);
    return v;
  }

  local(name: string): PartialValue | undefined {
    for (let i = this.locals.length - 1; i >= 0; i--) {
      const v = this.locals[i]!.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  evalNode(e: Expr): PartialValue {
    switch (e.kind) {
      case "literal":
        return e.value;
      case "ident":
      case "select":
        return this.evalAttribute(e);
      case "call":
        if (e.fn === "_[_]" || e.fn === "_[?_]") return this.evalAttribute(e);
        return this.evalCall(e);
      case "list": {
        const out: CelValue[] = [];
        const optional = new Set(e.optionalIndices);
        const vals = e.elements.map((x) => this.eval(x));
        const stop = strictResult(vals);
        if (stop !== undefined) return stop;
        for (let i = 0; i < vals.length; i++) {
          const v = vals[i] as CelValue;
          if (optional.has(i)) {
            if (!(v instanceof CelOptional)) return NO_SUCH_OVERLOAD;
            if (v.value !== undefined) out.push(v.value);
          } else out.push(v);
        }
        return out;
      }
      case "map": {
        const out = new Map<CelMapKey, CelValue>();
        const vals = e.entries.flatMap((en) => [this.eval(en.key), this.eval(en.value)]);
        const stop = strictResult(vals);
        if (stop !== undefined) return stop;
        for (let i = 0; i < e.entries.length; i++) {
          const en = e.entries[i]!;
          const k = vals[2 * i] as CelValue;
          let v = vals[2 * i + 1] as CelValue;
          if (en.optional) {
            if (!(v instanceof CelOptional)) return NO_SUCH_OVERLOAD;
            if (v.value === undefined) continue;
            v = v.value;
          }
          if (!isValidMapKey(k)) return new CelError(`unsupported key type: ${runtimeTypeName(k)}`);
          out.set(k, v);
        }
        return out;
      }
      case "struct":
        return new CelError(`unknown type: ${e.typeName}`);
      case "comprehension":
        return this.evalComprehension(e);
    }
  }

  evalComprehension(e: Extract<Expr, { kind: "comprehension" }>): PartialValue {
    const range = this.eval(e.iterRange);
    if (isUnknownOrError(range)) return range;
    const scope = new Map<string, PartialValue>();
    scope.set(e.accuVar, this.eval(e.accuInit));
    this.locals.push(scope);
    try {
      const step = (bind: (s: Map<string, PartialValue>) => void): boolean => {
        const iter = new Map<string, PartialValue>();
        bind(iter);
        this.locals.push(iter);
        try {
          const cond = this.eval(e.loopCondition);
          if (typeof cond === "boolean" && !cond) return false;
          scope.set(e.accuVar, this.eval(e.loopStep));
          return true;
        } finally {
          this.locals.pop();
        }
      };
      const two = e.iterVar2 !== undefined;
      if (Array.isArray(range)) {
        const list = range as readonly CelValue[];
        for (let i = 0; i < list.length; i++) {
          const ok = step((s) => {
            if (two) {
              s.set(e.iterVar, BigInt(i));
              s.set(e.iterVar2, list[i]!);
            } else s.set(e.iterVar, list[i]!);
          });
          if (!ok) break;
        }
      } else if (isCelMap(range) && !isMessageValue(range)) {
        if (two) {
          for (const [k, v] of mapEntries(range)) {
            if (!step((s) => (s.set(e.iterVar, k), s.set(e.iterVar2!, v)))) break;
          }
        } else {
          for (const k of mapKeys(range)) if (!step((s) => s.set(e.iterVar, k))) break;
        }
      } else {
        return new CelError(`got '${runtimeTypeName(range)}', expected iterable type`);
      }
      return this.eval(e.result);
    } finally {
      this.locals.pop();
    }
  }

  /** Select chains, index chains and identifiers: cel-go's attributes. */
  evalAttribute(e: Expr): PartialValue {
    const quals: Qualifier[] = [];
    let root: Expr = e;
    for (;;) {
      if (root.kind === "select") {
        quals.push({
          node: root,
          kind: "field",
          name: root.field,
          testOnly: root.testOnly,
          optional: root.optional,
        });
        root = root.operand;
      } else if (root.kind === "call" && (root.fn === "_[_]" || root.fn === "_[?_]")) {
        quals.push({
          node: root,
          kind: "index",
          index: root.args[1]!,
          optional: root.fn === "_[?_]",
        });
        root = root.args[0]!;
      } else break;
    }
    quals.reverse();
    if (
      root.kind === "ident" &&
      root.name === "request" &&
      this.local("request") === undefined &&
      quals.length >= 2 &&
      quals[0]!.kind === "field" &&
      quals[0]!.name === "principal" &&
      quals[1]!.kind === "field" &&
      quals[1]!.name === "policyVersion"
    ) {
      // Cerbos's planner cannot read the principal's policy version under its JSON name through
      // `request` (it can through `P`, or as `policy_version`).
      return new CelError("no such field 'policyVersion'");
    }
    if (root.kind !== "ident") {
      // A relative attribute: qualifiers applied to a computed value.
      const v = this.eval(root);
      if (isUnknownOrError(v)) return v;
      return this.qualify(v, quals);
    }
    const local = this.local(root.name);
    if (local !== undefined) {
      if (this.matchesUnknown(root.name, quals)) return UNKNOWN;
      return isUnknownOrError(local) ? local : this.qualify(local, quals);
    }
    // Candidate variable names, most qualified first: `a.b.c`, then `a.b` with `[c]`, ...
    let leading = 0;
    while (leading < quals.length) {
      const q = quals[leading]!;
      if (q.kind === "field" && !q.optional) leading++;
      else if (
        q.kind === "index" &&
        !q.optional &&
        q.index.kind === "literal" &&
        typeof q.index.value === "string"
      )
        leading++;
      else break;
    }
    let name = root.name;
    const names = [name];
    for (let i = 0; i < leading; i++) {
      const q = quals[i]!;
      name += "." + (q.kind === "field" ? q.name : (q.index as { value: string }).value);
      names.push(name);
    }
    for (let k = leading; k >= 0; k--) {
      const candidate = names[k]!;
      const rest = quals.slice(k);
      if (this.matchesUnknown(candidate, rest)) return UNKNOWN;
      const v = this.vars.known.get(candidate);
      if (v === undefined) continue;
      return this.qualify(v, rest);
    }
    if (quals.length === 0) {
      const t = this.env.typeNames.get(root.name);
      if (t !== undefined) return new CelTypeValue(typeValueName(t));
    }
    return new CelError(`no such attribute(s): ${names[leading]!}`);
  }

  matchesUnknown(variable: string, quals: readonly Qualifier[]): boolean {
    for (const p of this.vars.unknowns) {
      if (p.variable !== variable) continue;
      let all = true;
      for (let i = 0; i < p.fields.length && i < quals.length; i++) {
        const q = quals[i]!;
        const field =
          q.kind === "field"
            ? q.name
            : q.index.kind === "literal"
              ? q.index.value
              : this.eval(q.index);
        if (field !== p.fields[i]) {
          all = false;
          break;
        }
      }
      if (all) return true;
    }
    return false;
  }

  qualify(start: CelValue, quals: readonly Qualifier[]): PartialValue {
    let v: PartialValue = start;
    for (const q of quals) {
      v = this.qualifyOne(v, q);
      this.state.set(q.node, v);
      if (isUnknownOrError(v)) return v;
    }
    return v;
  }

  qualifyOne(v: CelValue, q: Qualifier): PartialValue {
    if (q.kind === "field") {
      if (q.testOnly) return testField(v, q.name, isMessageValue(v));
      if (q.optional) return selectOptional(v, q.name);
      return selectField(v, q.name, undefined, false, new CelError(`no such key: ${q.name}`));
    }
    const k = this.eval(q.index);
    if (isUnknownOrError(k)) return k;
    return q.optional ? indexOptional(v, k) : indexValue(v, k);
  }

  evalLogic(e: CallNode, absorbing: boolean): PartialValue {
    let unknown = false;
    let err: CelError | undefined;
    for (const a of e.args) {
      const v = this.eval(a);
      if (v === absorbing) return absorbing;
      if (typeof v === "boolean") continue;
      if (v === UNKNOWN) unknown = true;
      else err ??= v instanceof CelError ? v : NO_SUCH_OVERLOAD;
    }
    if (unknown) return UNKNOWN;
    return err ?? !absorbing;
  }

  evalCall(e: CallNode): PartialValue {
    switch (e.fn) {
      case "_&&_":
        return this.evalLogic(e, false);
      case "_||_":
        return this.evalLogic(e, true);
      case "_?_:_": {
        const c = this.eval(e.args[0]!);
        if (c === true) return this.eval(e.args[1]!);
        if (c === false) return this.eval(e.args[2]!);
        return isUnknownOrError(c) ? c : NO_SUCH_OVERLOAD;
      }
      case "@not_strictly_false": {
        const v = this.eval(e.args[0]!);
        return typeof v === "boolean" ? v : true;
      }
      case "@listAppend": {
        const accu = this.eval(e.args[0]!);
        if (isUnknownOrError(accu)) return accu;
        const v = this.eval(e.args[1]!);
        if (isUnknownOrError(v)) return v;
        return [...(accu as readonly CelValue[]), v];
      }
      case "@mapInsert":
        return this.evalMapInsert(e);
      default:
        break;
    }
    const resolved = this.resolveFunction(e);
    if (resolved === undefined) return new CelError(`no matching overload for '${e.fn}'`);
    const { name, member, argExprs } = resolved;
    const vals: PartialValue[] = [];
    const nonStrict = resolved.overloads.some((o) => o.nonStrict === true);
    for (const a of argExprs) vals.push(this.eval(a));
    const stop = strictResult(vals, nonStrict);
    if (stop !== undefined) return stop;
    const res: CallResolution = { name, member, overloads: resolved.overloads };
    const run = dispatch(
      res,
      vals.map((v) => () => v as CelValue),
    );
    try {
      return run({}, [], this.vars.ctx);
    } catch (err) {
      return new CelError(err instanceof Error ? err.message : String(err));
    }
  }

  evalMapInsert(e: CallNode): PartialValue {
    const accu = this.eval(e.args[0]!);
    if (isUnknownOrError(accu)) return accu;
    const entries: [CelValue, CelValue][] = [];
    if (e.args.length === 3) {
      const k = this.eval(e.args[1]!);
      if (isUnknownOrError(k)) return k;
      const v = this.eval(e.args[2]!);
      if (isUnknownOrError(v)) return v;
      entries.push([k, v]);
    } else {
      const add = this.eval(e.args[1]!);
      if (isUnknownOrError(add)) return add;
      if (!isCelMap(add)) return NO_SUCH_OVERLOAD;
      for (const [k, v] of mapEntries(add)) {
        if (v instanceof CelError) return v;
        entries.push([k, v]);
      }
    }
    const out = new Map<CelMapKey, CelValue>(
      mapEntries(accu as Parameters<typeof mapEntries>[0]) as [CelMapKey, CelValue][],
    );
    for (const [k, v] of entries) {
      if (!isValidMapKey(k)) return new CelError(`unsupported key type: ${runtimeTypeName(k)}`);
      if (out.has(k)) return new CelError(`insert failed: key ${formatKey(k)} already exists`);
      out.set(k, v);
    }
    return out;
  }

  resolveFunction(
    e: CallNode,
  ): { name: string; member: boolean; argExprs: Expr[]; overloads: Overload[] } | undefined {
    const fns = this.env.functions;
    if (e.target !== undefined) {
      const q = qualifiedName(e.target);
      if (q !== undefined && this.local(q.split(".")[0]!) === undefined) {
        const global = fns.get(`${q}.${e.fn}`);
        if (global !== undefined) {
          const overloads = global.filter(
            (o) => o.receiver === undefined && o.params.length === e.args.length,
          );
          if (overloads.length > 0)
            return { name: `${q}.${e.fn}`, member: false, argExprs: [...e.args], overloads };
        }
      }
      const all = fns.get(e.fn) ?? [];
      const overloads = all.filter(
        (o) => o.receiver !== undefined && o.params.length === e.args.length,
      );
      if (overloads.length === 0) return undefined;
      return { name: e.fn, member: true, argExprs: [e.target, ...e.args], overloads };
    }
    // `math.@max` and `math.@min` come back from residuals (see expandShorthands)
    const name =
      e.fn === "math.@max" ? "math.greatest" : e.fn === "math.@min" ? "math.least" : e.fn;
    const all = fns.get(name) ?? [];
    const overloads = all.filter(
      (o) => o.receiver === undefined && o.params.length === e.args.length,
    );
    if (overloads.length === 0) return undefined;
    return { name, member: false, argExprs: [...e.args], overloads };
  }
}

/**
 * What a strict call (or a list or map literal) yields when an argument failed or is unknown:
 * every argument is evaluated, an error wins over an unknown (as Cerbos's planner shows).
 */
function strictResult(vals: readonly PartialValue[], nonStrict = false): PartialValue | undefined {
  let unknown = false;
  for (const v of vals) {
    if (v instanceof CelError) {
      if (!nonStrict) return v;
    } else if (v === UNKNOWN) unknown = true;
  }
  return unknown ? UNKNOWN : undefined;
}

function qualifiedName(e: Expr): string | undefined {
  if (e.kind === "ident") return e.name;
  if (e.kind === "select" && !e.testOnly && !e.optional) {
    const q = qualifiedName(e.operand);
    return q === undefined ? undefined : `${q}.${e.field}`;
  }
  return undefined;
}

// ---- pruning --------------------------------------------------------------------------------

class Pruner {
  readonly state: Map<Expr, PartialValue>;

  constructor(state: Map<Expr, PartialValue>) {
    this.state = state;
  }

  /** A node replacing `old` keeps its recorded value, as cel-go's pruner keeps the node id. */
  same<T extends Expr>(old: Expr, neu: T): T {
    const v = this.state.get(old);
    if (v !== undefined) this.state.set(neu, v);
    return neu;
  }

  value(e: Expr): PartialValue | undefined {
    return this.state.get(e);
  }

  known(e: Expr): CelValue | undefined {
    const v = this.state.get(e);
    return v === undefined || isUnknownOrError(v) ? undefined : v;
  }

  literal(e: Expr, v: CelValue): Expr | undefined {
    const lit = valueExpr(v);
    if (lit !== undefined) this.state.set(lit, v);
    return lit;
  }

  prune(node: Expr): [Expr, boolean] {
    const v = this.known(node);
    if (v !== undefined) {
      const lit = this.literal(node, v);
      if (lit !== undefined) return [lit, true];
    }
    switch (node.kind) {
      case "select": {
        const [operand, pruned] = this.prune(node.operand);
        if (pruned) return [this.same(node, { ...node, operand, id: 0 }), true];
        break;
      }
      case "call": {
        let argsPruned = false;
        const args = node.args.map((a) => {
          const [x, p] = this.prune(a);
          if (p) argsPruned = true;
          return x;
        });
        let target = node.target;
        if (target !== undefined) {
          const [t, p] = this.prune(target);
          if (p) argsPruned = true;
          target = t;
        }
        const call = this.same(node, { ...node, id: 0, target, args });
        const fn = this.pruneFunction(call);
        if (fn !== undefined) return [fn, true];
        return [call, argsPruned];
      }
      case "list": {
        let pruned = false;
        const elements = node.elements.map((x) => {
          const [y, p] = this.prune(x);
          if (p) pruned = true;
          return y;
        });
        if (pruned) return [this.same(node, { ...node, id: 0, elements }), true];
        break;
      }
      case "map": {
        let pruned = false;
        const entries = node.entries.map((en) => {
          const [k, pk] = this.prune(en.key);
          const [v2, pv] = this.prune(en.value);
          if (!pk && !pv) return en;
          pruned = true;
          return { ...en, key: k, value: v2 };
        });
        if (pruned) return [this.same(node, { ...node, id: 0, entries }), true];
        break;
      }
      case "struct": {
        let pruned = false;
        const fields = node.fields.map((f) => {
          const [v2, p] = this.prune(f.value);
          if (!p) return f;
          pruned = true;
          return { ...f, value: v2 };
        });
        if (pruned) return [this.same(node, { ...node, id: 0, fields }), true];
        break;
      }
      case "comprehension": {
        // Only the range: the recorded state holds just the last iteration of the body.
        const [iterRange, pruned] = this.prune(node.iterRange);
        if (pruned) return [this.same(node, { ...node, id: 0, iterRange }), true];
        break;
      }
      default:
        break;
    }
    return [node, false];
  }

  pruneFunction(call: CallNode): Expr | undefined {
    if (this.value(call) === undefined || call.target !== undefined) return undefined;
    const args = call.args;
    switch (call.fn) {
      case "_||_":
      case "_&&_": {
        const absorbing = call.fn === "_||_";
        for (let i = 0; i < 2; i++) {
          const v = this.known(args[i]!);
          if (v === undefined) continue;
          if (v === absorbing) return this.literal(call, absorbing);
          return args[1 - i];
        }
        return undefined;
      }
      case "_?_:_": {
        const c = this.known(args[0]!);
        if (c === undefined) return undefined;
        return c === true ? args[1] : args[2];
      }
      case "@in": {
        const v = this.known(args[1]!);
        if (v === undefined) return undefined;
        const empty = Array.isArray(v)
          ? v.length === 0
          : isCelMap(v)
            ? mapSize(v) === 0
            : typeof v === "string"
              ? v.length === 0
              : false;
        return empty ? this.literal(call, false) : undefined;
      }
      case "!_": {
        const v = this.known(args[0]!);
        return typeof v === "boolean" ? this.literal(call, !v) : undefined;
      }
      default:
        return undefined;
    }
  }
}

/**
 * Evaluates `expr` with the given variables known and the patterns' attributes unknown, and
 * returns the value and the residual expression (cel-go's partial evaluation with state tracking,
 * then AST pruning). Never throws for errors in the expression: they are values.
 */
export function evaluatePartially(
  env: Environment,
  expr: Expr,
  vars: PartialVariables,
): PartialResult {
  const ev = new PartialEvaluator(env, vars);
  const value = ev.eval(expr);
  const [residual] = new Pruner(ev.state).prune(expr);
  return { value, residual };
}
