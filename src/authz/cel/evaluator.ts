// Compiles a checked CEL expression into a tree of JavaScript closures, once, so evaluation
// is a walk over prepared functions: no name lookups, candidate overloads narrowed at compile
// time by the static types, comprehension variables in preallocated slots.
// Errors are CelError values that flow through the tree; `&&`, `||` and the macros'
// loop conditions absorb them exactly as cel-go does.

import {
  indexOptional,
  indexValue,
  formatKey,
  goTypeName,
  selectField,
  selectOptional,
  testField,
} from "./access.ts";
import type { ComprehensionNode, CallNode, Expr, LiteralNode, SelectNode } from "./ast.ts";
import type { CheckResult } from "./checker.ts";
import type { BindingReader, Overload, PathReader } from "./library.ts";
import { dispatch, noteLiteral, NO_SUCH_OVERLOAD, type Evaluator } from "./dispatch.ts";
import {
  isCelMap,
  isCelMapLike,
  isValidMapKey,
  mapEntries,
  mapGet,
  mapKeys,
  runtimeTypeName,
} from "./maps.ts";
import { valueMatches } from "./type-rules.ts";
import type { CelType } from "./types.ts";
import {
  CelError,
  CelOptional,
  CelTypeValue,
  CelUint,
  type CelMapKey,
  type CelMapLike,
  type CelMapValue,
  type CelResult,
  type CelValue,
} from "./value.ts";

export type { Bindings, Evaluator, Slots } from "./dispatch.ts";
export { NO_SUCH_OVERLOAD } from "./dispatch.ts";

export interface CompiledProgram {
  readonly run: Evaluator;
  /** Number of comprehension slots the evaluation needs. */
  readonly slots: number;
  /** The value of an expression that folded whole at compile time (it reads nothing at run time). */
  readonly constant?: CelResult;
}

/**
 * Values of fields of declared variables fixed before evaluation, keyed by qualified name
 * (`C.minLevel`, read as `C.minLevel`, `has(C.minLevel)` or `C.?minLevel`). Their reads become
 * literals, so subtrees over them fold; fields not listed are read from the bindings at run
 * time as usual.
 */
export type KnownValues = ReadonlyMap<string, CelValue>;

const NOTHING_KNOWN: KnownValues = new Map();
const NO_READERS: ReadonlyMap<string, BindingReader> = new Map();

/**
 * Given to selectField as its answer for an absent key, and swapped by the caller for the
 * node's own error: nodes make that error only when a key is first found missing.
 */
const ABSENT_KEY = new CelError("no such key");

export function compileProgram(
  expr: Expr,
  checked: CheckResult,
  known: KnownValues = NOTHING_KNOWN,
  bindingReaders: ReadonlyMap<string, BindingReader> = NO_READERS,
  pathReader?: PathReader,
): CompiledProgram {
  const c = new Compiler(checked, known, bindingReaders, pathReader);
  const run = c.compile(expr);
  if (expr.kind !== "literal" && !c.isFoldable(expr, new Set())) return { run, slots: c.slotCount };
  try {
    // Folded already: this returns the value computed once (or a fresh empty list or map).
    return {
      run,
      slots: c.slotCount,
      constant: run({}, new Array<CelResult>(c.slotCount), undefined),
    };
  } catch {
    return { run, slots: c.slotCount };
  }
}

/** The CEL type name a type denotes as a value (`type(1) == int`). */
export function typeValueName(t: CelType): string {
  switch (t.kind) {
    case "null":
      return "null_type";
    case "timestamp":
      return "google.protobuf.Timestamp";
    case "duration":
      return "google.protobuf.Duration";
    case "optional":
      return "optional_type";
    case "opaque":
    case "message":
    case "param":
      return t.name;
    default:
      return t.kind;
  }
}

/**
 * Builds the closures of one expression. Methods that create run-time closures must not use
 * `this` inside an arrow function: V8 would keep `this` in the context every closure created
 * by the method shares, and the Compiler (with the checker's results) would live as long as
 * the program. Hence loops instead of `map` with `this.compile`, and closures built by free
 * functions.
 */
class Compiler {
  readonly checked: CheckResult;
  readonly known: KnownValues;
  readonly bindingReaders: ReadonlyMap<string, BindingReader>;
  readonly pathReader: PathReader | undefined;
  slotCount = 0;
  /** Comprehension variable name -> slot, innermost last. */
  readonly scopes: Map<string, number>[] = [];

  constructor(
    checked: CheckResult,
    known: KnownValues,
    bindingReaders: ReadonlyMap<string, BindingReader>,
    pathReader: PathReader | undefined,
  ) {
    this.checked = checked;
    this.known = known;
    this.bindingReaders = bindingReaders;
    this.pathReader = pathReader;
  }

  /**
   * The names of a plain select chain rooted at a declared variable (`R.attr.owner`), or
   * undefined: any optional or test-only select, qualified name, comprehension variable or
   * known value on the way disqualifies it.
   */
  selectPath(e: SelectNode): string[] | undefined {
    const path: string[] = [];
    let node: Expr = e;
    while (node.kind === "select") {
      if (node.optional || node.testOnly || this.checked.resolutions.has(node.id)) return undefined;
      if (this.knownField(node) !== undefined) return undefined;
      path.push(node.field);
      node = node.operand;
    }
    if (node.kind !== "ident") return undefined;
    const r = this.checked.resolutions.get(node.id);
    if (r === undefined || r.kind !== "global" || r.name !== node.name) return undefined;
    path.push(node.name);
    return path.reverse();
  }

  /** The known value of `x.field` where `x` is a declared (not comprehension) variable. */
  knownField(e: SelectNode): CelValue | undefined {
    return this.knownOf(e.operand, e.field);
  }

  /** The known value of `x["field"]` or `x[?"field"]`, as for `knownField`. */
  knownIndex(e: CallNode): CelValue | undefined {
    if (e.fn !== "_[_]" && e.fn !== "_[?_]") return undefined;
    const key = e.args[1];
    if (key?.kind !== "literal" || typeof key.value !== "string") return undefined;
    return this.knownOf(e.args[0]!, key.value);
  }

  knownOf(operand: Expr, field: string): CelValue | undefined {
    if (operand.kind !== "ident" || this.known.size === 0) return undefined;
    const r = this.checked.resolutions.get(operand.id);
    return r?.kind === "global" ? this.known.get(`${r.name}.${field}`) : undefined;
  }

  slotOf(name: string): number | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const s = this.scopes[i]!.get(name);
      if (s !== undefined) return s;
    }
    return undefined;
  }

  compileEach(es: readonly Expr[]): Evaluator[] {
    const out: Evaluator[] = [];
    for (const x of es) out.push(this.compile(x));
    return out;
  }

  compile(e: Expr): Evaluator {
    const inner = this.compileNode(e);
    if (e.kind === "literal" || !this.isFoldable(e, new Set())) return inner;
    // Constant folding, as Cerbos enables in cel-go: evaluate closed subtrees once. Empty
    // list and map literals stay fresh because macros accumulate into them in place.
    if (
      (e.kind === "list" && e.elements.length === 0) ||
      (e.kind === "map" && e.entries.length === 0)
    )
      return inner;
    let v: CelResult;
    try {
      v = inner({}, new Array<CelResult>(this.slotCount), undefined);
    } catch {
      return inner; // a library bug: leave it to surface at run time, where it becomes an error value
    }
    return () => v;
  }

  /** Whether a subtree reads no variables (other than its own comprehension variables) and no context. */
  isFoldable(e: Expr, bound: ReadonlySet<string>): boolean {
    switch (e.kind) {
      case "literal":
        return true;
      case "ident": {
        const r = this.checked.resolutions.get(e.id);
        return r?.kind === "type" || (r?.kind === "local" && bound.has(e.name));
      }
      case "select": {
        const r = this.checked.resolutions.get(e.id);
        if (r !== undefined) return r.kind === "type";
        if (this.knownField(e) !== undefined) return true;
        return this.isFoldable(e.operand, bound);
      }
      case "call": {
        const res = this.checked.calls.get(e.id);
        if (
          res !== undefined &&
          (res.overloads.length === 0 || res.overloads.some((o) => o.usesContext === true))
        )
          return false;
        if (e.target !== undefined && !this.isFoldable(e.target, bound)) return false;
        const knownOperand = this.knownIndex(e) !== undefined;
        return e.args.every((a, i) => (i === 0 && knownOperand) || this.isFoldable(a, bound));
      }
      case "list":
        return e.elements.every((x) => this.isFoldable(x, bound));
      case "map":
        return e.entries.every(
          (x) => this.isFoldable(x.key, bound) && this.isFoldable(x.value, bound),
        );
      case "struct":
        return e.fields.every((f) => this.isFoldable(f.value, bound));
      case "comprehension": {
        if (!this.isFoldable(e.iterRange, bound) || !this.isFoldable(e.accuInit, bound))
          return false;
        const withAccu = new Set(bound).add(e.accuVar);
        const inLoop = new Set(withAccu).add(e.iterVar);
        if (e.iterVar2 !== undefined) inLoop.add(e.iterVar2);
        return (
          this.isFoldable(e.loopCondition, inLoop) &&
          this.isFoldable(e.loopStep, inLoop) &&
          this.isFoldable(e.result, withAccu)
        );
      }
    }
  }

  compileNode(e: Expr): Evaluator {
    switch (e.kind) {
      case "literal":
        return literal(e.value);
      case "ident":
        return this.compileName(e.id, e.name);
      case "select":
        return this.compileSelect(e);
      case "call":
        return this.compileCall(e);
      case "list":
        return list(this.compileEach(e.elements), e.optionalIndices);
      case "map":
        return this.compileMap(e);
      case "struct": {
        const fields: StructField[] = [];
        for (const f of e.fields)
          fields.push({ name: f.name, optional: f.optional, value: this.compile(f.value) });
        return struct(fields);
      }
      case "comprehension":
        return this.compileComprehension(e);
    }
  }

  compileName(id: number, name: string): Evaluator {
    const r = this.checked.resolutions.get(id);
    if (r?.kind === "type") {
      const tv = new CelTypeValue(typeValueName(r.type));
      return () => tv;
    }
    const slot = r?.kind === "local" ? this.slotOf(name) : undefined;
    if (slot !== undefined) return (_b, l) => l[slot] as CelResult;
    const global = r?.kind === "global" ? r.name : name;
    // Made on first failure: most names are always bound, and a large policy set has many.
    let missing: CelError | undefined;
    const reader = this.bindingReaders.get(global);
    if (reader !== undefined) {
      return (b) => {
        const v = reader(b);
        return v === undefined ? (missing ??= new CelError(`no such attribute(s): ${global}`)) : v;
      };
    }
    return (b) => {
      const v = b[global];
      return v === undefined ? (missing ??= new CelError(`no such attribute(s): ${global}`)) : v;
    };
  }

  compileSelect(e: SelectNode): Evaluator {
    const r = this.checked.resolutions.get(e.id);
    if (r !== undefined) return this.compileName(e.id, r.kind === "global" ? r.name : e.field);
    if (this.pathReader !== undefined) {
      const path = this.selectPath(e);
      if (path !== undefined) {
        const direct = this.pathReader(path, this.compileSelectChain(e));
        if (direct !== undefined) return direct;
      }
    }
    return this.compileSelectChain(e);
  }

  compileSelectChain(e: SelectNode): Evaluator {
    const known = this.knownField(e);
    const operand = known === undefined ? this.compile(e.operand) : holderOf(e.field, known);
    const field = e.field;
    const operandType = this.checked.types.get(e.operand.id);
    const isMessage = operandType?.kind === "message" && !this.checked.dynamicSelects.has(e.id);
    const fieldType = isMessage ? this.checked.types.get(e.id) : undefined;
    if (e.testOnly) {
      return (b, l, c) => {
        const v = operand(b, l, c);
        return v instanceof CelError ? v : testField(v, field, isMessage);
      };
    }
    // The error for an absent key, made on first failure (as in compileName).
    let missing: CelError | undefined;
    if (e.optional && isMessage) {
      // `msg.?field` tests presence the way has() does, then reads the field.
      return (b, l, c) => {
        const v = operand(b, l, c);
        if (v instanceof CelError) return v;
        const present = testField(v, field, true);
        if (present !== true) return present === false ? CelOptional.none : present;
        const r = selectField(v, field, fieldType, true, ABSENT_KEY);
        if (r === ABSENT_KEY) return (missing ??= new CelError(`no such key: ${field}`));
        return r instanceof CelError ? r : new CelOptional(r);
      };
    }
    if (e.optional) {
      return (b, l, c) => {
        const v = operand(b, l, c);
        return v instanceof CelError ? v : selectOptional(v, field);
      };
    }
    // Fast path for JSON objects: a plain property read, safe when the name cannot hit
    // Object.prototype (`toString`, `__proto__`, ...); absent keys take the careful path.
    if (field in Object.prototype) {
      return (b, l, c) => {
        const v = operand(b, l, c);
        if (v instanceof CelError) return v;
        const r = selectField(v, field, fieldType, isMessage, ABSENT_KEY);
        return r === ABSENT_KEY ? (missing ??= new CelError(`no such key: ${field}`)) : r;
      };
    }
    const reader = this.checked.fieldReaders.get(e.id);
    if (reader !== undefined) {
      // A declared field of a message whose host objects read it directly (Cerbos's request,
      // principal and resource): the reader answers for those, other values go the generic way.
      return (b, l, c) => {
        const v = operand(b, l, c);
        const r = reader(v);
        if (r !== undefined) return r;
        if (v instanceof CelError) return v;
        const s = selectField(v, field, fieldType, isMessage, ABSENT_KEY);
        return s === ABSENT_KEY ? (missing ??= new CelError(`no such key: ${field}`)) : s;
      };
    }
    if (operandType?.kind === "message") {
      // Message values are usually host maps (Cerbos's request, variables): test for those
      // first, since asking a class instance for `constructor` walks its prototype chain.
      return (b, l, c) => {
        const v = operand(b, l, c);
        if (typeof v === "object" && v !== null) {
          if ((v as { celMapLike?: unknown }).celMapLike === true) {
            // What selectField would end up asking.
            const r = (v as CelMapLike).get(field);
            if (r !== undefined) return r;
          } else if ((v as { constructor?: unknown }).constructor === Object) {
            const r = (v as Record<string, CelValue | undefined>)[field];
            if (r !== undefined) return r;
          }
        }
        if (v instanceof CelError) return v;
        const r = selectField(v, field, fieldType, isMessage, ABSENT_KEY);
        return r === ABSENT_KEY ? (missing ??= new CelError(`no such key: ${field}`)) : r;
      };
    }
    return (b, l, c) => {
      const v = operand(b, l, c);
      if (typeof v === "object" && v !== null) {
        if ((v as { constructor?: unknown }).constructor === Object) {
          const r = (v as Record<string, CelValue | undefined>)[field];
          if (r !== undefined) return r;
        } else if ((v as { celMapLike?: unknown }).celMapLike === true) {
          // Host maps (variables, Cerbos's messages): what selectField would end up asking.
          const r = (v as CelMapLike).get(field);
          if (r !== undefined) return r;
        }
      }
      if (v instanceof CelError) return v;
      const r = selectField(v, field, fieldType, isMessage, ABSENT_KEY);
      return r === ABSENT_KEY ? (missing ??= new CelError(`no such key: ${field}`)) : r;
    };
  }

  compileMap(e: Extract<Expr, { kind: "map" }>): Evaluator {
    const entries: MapEntry[] = [];
    for (const x of e.entries)
      entries.push({
        key: this.compile(x.key),
        value: this.compile(x.value),
        optional: x.optional,
      });
    return mapLiteral(entries);
  }

  compileComprehension(e: ComprehensionNode): Evaluator {
    const range = this.compile(e.iterRange);
    const init = this.compile(e.accuInit);
    const accuSlot = this.slotCount++;
    this.scopes.push(new Map([[e.accuVar, accuSlot]]));
    // cel.bind: an empty range; only the accumulator (the bound variable) and the result matter.
    if (e.iterRange.kind === "list" && e.iterRange.elements.length === 0) {
      const result = this.compile(e.result);
      this.scopes.pop();
      return (b, l, c) => {
        l[accuSlot] = init(b, l, c);
        return result(b, l, c);
      };
    }
    const iterSlot = this.slotCount++;
    const iter2Slot = e.iterVar2 === undefined ? -1 : this.slotCount++;
    const iterScope = new Map([[e.iterVar, iterSlot]]);
    if (e.iterVar2 !== undefined) iterScope.set(e.iterVar2, iter2Slot);
    this.scopes.push(iterScope);
    const cond = this.compile(e.loopCondition);
    const step = this.compile(e.loopStep);
    this.scopes.pop();
    const result = this.compile(e.result);
    this.scopes.pop();
    const twoVars = iter2Slot >= 0;
    const condAlwaysTrue = e.loopCondition.kind === "literal" && e.loopCondition.value === true;
    return (b, l, c) => {
      const r = range(b, l, c);
      if (r instanceof CelError) return r;
      l[accuSlot] = init(b, l, c);
      if (Array.isArray(r)) {
        for (let i = 0; i < r.length; i++) {
          if (twoVars) {
            l[iterSlot] = BigInt(i);
            l[iter2Slot] = r[i] as CelValue;
          } else l[iterSlot] = r[i] as CelValue;
          if (!condAlwaysTrue && cond(b, l, c) === false) break;
          l[accuSlot] = step(b, l, c);
        }
      } else if (isCelMap(r)) {
        if (twoVars) {
          for (const [k, v] of mapEntries(r)) {
            l[iterSlot] = k;
            l[iter2Slot] = v;
            if (!condAlwaysTrue && cond(b, l, c) === false) break;
            l[accuSlot] = step(b, l, c);
          }
        } else {
          for (const k of mapKeys(r)) {
            l[iterSlot] = k;
            if (!condAlwaysTrue && cond(b, l, c) === false) break;
            l[accuSlot] = step(b, l, c);
          }
        }
      } else {
        return new CelError(`got '${goTypeName(r)}', expected iterable type`);
      }
      return result(b, l, c);
    };
  }

  /** A `+` the checker resolved to string concatenation alone. */
  isStringConcat(e: Expr): e is CallNode {
    if (e.kind !== "call" || e.fn !== "_+_" || e.target !== undefined) return false;
    const res = this.checked.calls.get(e.id);
    return res !== undefined && res.overloads.length === 1 && res.overloads[0]!.id === "add_string";
  }

  compileCall(e: CallNode): Evaluator {
    const known = this.knownIndex(e);
    const args: Evaluator[] = [];
    for (const a of e.args) {
      args.push(
        args.length === 0 && known !== undefined
          ? holderOf((e.args[1] as LiteralNode).value as string, known)
          : this.compile(a),
      );
    }
    switch (e.fn) {
      case "_&&_":
        return logic(args[0]!, args[1]!, false);
      case "_||_":
        return logic(args[0]!, args[1]!, true);
      case "_?_:_": {
        const [cond, yes, no] = args as [Evaluator, Evaluator, Evaluator];
        return (b, l, c) => {
          const v = cond(b, l, c);
          if (v === true) return yes(b, l, c);
          if (v === false) return no(b, l, c);
          return v instanceof CelError ? v : NO_SUCH_OVERLOAD;
        };
      }
      case "@not_strictly_false": {
        const a = args[0]!;
        return (b, l, c) => a(b, l, c) !== false;
      }
      case "@listAppend": {
        const [accu, value] = args as [Evaluator, Evaluator];
        return (b, l, c) => {
          const list = accu(b, l, c);
          if (list instanceof CelError) return list;
          const v = value(b, l, c);
          if (v instanceof CelError) return v;
          (list as CelValue[]).push(v);
          return list;
        };
      }
      case "@mapInsert":
        return mapInsert(args);
      case "_[_]":
      case "_[?_]": {
        const [operand, index] = args as [Evaluator, Evaluator];
        const indexers = e.fn === "_[_]" ? this.checked.calls.get(e.id)?.overloads : undefined;
        const f =
          indexers === undefined
            ? e.fn === "_[_]"
              ? indexValue
              : indexOptional
            : (v: CelValue, k: CelValue): CelResult => indexWith(indexers, v, k);
        return (b, l, c) => {
          const v = operand(b, l, c);
          if (v instanceof CelError) return v;
          const k = index(b, l, c);
          if (k instanceof CelError) return k;
          return f(v, k);
        };
      }
      default:
        break;
    }
    const res = this.checked.calls.get(e.id);
    if (res === undefined) throw new Error(`bug: unresolved call ${e.fn}`);
    const all = res.member ? [this.compile(e.target!), ...args] : args;
    const call = dispatch(res, all);
    if (this.isStringConcat(e) && e.args.length === 2) {
      // The parts of the operands' own chains (or the operands), merged: no operand is
      // compiled twice.
      const parts = [
        ...concatPartsOf(e.args[0]!, args[0]!),
        ...concatPartsOf(e.args[1]!, args[1]!),
      ];
      const joined: (Evaluator | string)[] = [];
      for (const p of parts) {
        const last = joined.at(-1);
        if (typeof p === "string" && typeof last === "string") joined[joined.length - 1] = last + p;
        else joined.push(p);
      }
      const chain = joined.length > 2 ? concatenation(joined, call) : call;
      concatParts.set(chain, joined);
      return chain;
    }
    if (res.name === "matches" && e.args.at(-1)?.kind === "literal") {
      // Cerbos plans policy conditions with cel-go's optimizer, which precompiles a literal
      // pattern into a call that answers a non-string subject with a plain `no such overload`
      // (the REPL, unoptimized, says `no such overload: matches`)
      return (b, l, c) => {
        const r = call(b, l, c);
        return r instanceof CelError && r.message === "no such overload: matches"
          ? NO_SUCH_OVERLOAD
          : r;
      };
    }
    return call;
  }
}

/** The parts of each string concatenation compiled, for an enclosing `+` to merge. */
const concatParts = new WeakMap<Evaluator, readonly (Evaluator | string)[]>();

/** An operand of a string `+` as parts: its chain's, its literal, or itself. */
function concatPartsOf(e: Expr, ev: Evaluator): readonly (Evaluator | string)[] {
  if (e.kind === "literal" && typeof e.value === "string") return [e.value];
  return concatParts.get(ev) ?? [ev];
}

/**
 * `a + b + c` of strings as one function: the operands in order, literals as they are, the
 * others each read once; a non-string operand (an error included) hands over to the nested
 * calls (`fallback`), which answer it exactly as before. One call per operand read instead of
 * one more per `+`.
 */
function concatenation(parts: readonly (Evaluator | string)[], fallback: Evaluator): Evaluator {
  const n = parts.length;
  return (b, l, c) => {
    let s = "";
    for (let i = 0; i < n; i++) {
      const p = parts[i]!;
      if (typeof p === "string") {
        s += p;
      } else {
        const v = p(b, l, c);
        if (typeof v !== "string") return fallback(b, l, c);
        s += v;
      }
    }
    return s;
  };
}

function literal(v: CelValue): Evaluator {
  const ev: Evaluator = () => v;
  noteLiteral(ev, v);
  return ev;
}

function list(elements: Evaluator[], optionalIndices: readonly number[]): Evaluator {
  const n = elements.length;
  // A fresh array every time: macros append to their accumulator in place.
  if (n === 0) return () => [];
  const optional = new Set(optionalIndices);
  return (b, l, c) => {
    const out: CelValue[] = [];
    for (let i = 0; i < n; i++) {
      const v = elements[i]!(b, l, c);
      if (v instanceof CelError) return v;
      if (optional.has(i)) {
        if (!(v instanceof CelOptional)) return NO_SUCH_OVERLOAD;
        if (v.value !== undefined) out.push(v.value);
      } else out.push(v);
    }
    return out;
  };
}

interface StructField {
  readonly name: string;
  readonly optional: boolean | undefined;
  readonly value: Evaluator;
}

function struct(fields: readonly StructField[]): Evaluator {
  return (b, l, c) => {
    const out: Record<string, CelValue> = Object.create(null) as Record<string, CelValue>;
    for (const f of fields) {
      const v = f.value(b, l, c);
      if (v instanceof CelError) return v;
      if (f.optional) {
        if (!(v instanceof CelOptional)) return NO_SUCH_OVERLOAD;
        if (v.value !== undefined) out[f.name] = v.value;
      } else out[f.name] = v;
    }
    return out;
  };
}

interface MapEntry {
  readonly key: Evaluator;
  readonly value: Evaluator;
  readonly optional: boolean | undefined;
}

function mapLiteral(entries: readonly MapEntry[]): Evaluator {
  return (b, l, c) => {
    let obj: Record<string, CelValue> | undefined = Object.create(null) as Record<string, CelValue>;
    let map: Map<CelMapKey, CelValue> | undefined;
    for (const en of entries) {
      const k = en.key(b, l, c);
      if (k instanceof CelError) return k;
      let v = en.value(b, l, c);
      if (v instanceof CelError) return v;
      if (en.optional) {
        if (!(v instanceof CelOptional)) return NO_SUCH_OVERLOAD;
        if (v.value === undefined) continue;
        v = v.value;
      }
      // cel-go's maps also take double keys at run time
      if (!isValidMapKey(k) && typeof k !== "number") {
        return new CelError(`unsupported key type: ${runtimeTypeName(k)}`);
      }
      if (typeof k === "string" && obj !== undefined) {
        obj[k] = v;
        continue;
      }
      if (map === undefined) {
        map = new Map(obj === undefined ? [] : Object.entries(obj));
        obj = undefined;
      }
      setMapKey(map, k, v);
    }
    return map ?? obj!;
  };
}

/**
 * The operand of a known field: a map holding just that field, so that every form of access
 * (select, presence test, optional select, index) answers as it would on the bindings' map.
 */
function holderOf(field: string, value: CelValue): Evaluator {
  const holder = new Map<CelMapKey, CelValue>([[field, value]]);
  return () => holder;
}

function setMapKey(map: Map<CelMapKey, CelValue>, k: CelMapKey, v: CelValue): void {
  if (k instanceof CelUint) {
    for (const existing of map.keys()) {
      if (existing instanceof CelUint && existing.value === k.value) {
        map.set(existing, v);
        return;
      }
    }
  }
  map.set(k, v);
}

function logic(left: Evaluator, right: Evaluator, absorbing: boolean): Evaluator {
  return (b, l, c) => {
    const x = left(b, l, c);
    if (x === absorbing) return absorbing;
    const y = right(b, l, c);
    if (y === absorbing) return absorbing;
    if (x === !absorbing && y === !absorbing) return !absorbing;
    if (typeof x !== "boolean") return x instanceof CelError ? x : NO_SUCH_OVERLOAD;
    return y instanceof CelError ? y : NO_SUCH_OVERLOAD;
  };
}

function mapInsert(args: Evaluator[]): Evaluator {
  const accu = args[0]!;
  if (args.length === 3) {
    const key = args[1]!;
    const value = args[2]!;
    return (b, l, c) => {
      const m = accu(b, l, c);
      if (m instanceof CelError) return m;
      const k = key(b, l, c);
      if (k instanceof CelError) return k;
      const v = value(b, l, c);
      if (v instanceof CelError) return v;
      return insertEntry(m as CelMapValue, k, v);
    };
  }
  const entry = args[1]!;
  return (b, l, c) => {
    let m = accu(b, l, c);
    if (m instanceof CelError) return m;
    const add = entry(b, l, c);
    if (add instanceof CelError) return add;
    if (!isCelMap(add)) return NO_SUCH_OVERLOAD;
    for (const [k, v] of mapEntries(add)) {
      if (v instanceof CelError) return v;
      m = insertEntry(m as CelMapValue, k, v);
      if (m instanceof CelError) return m;
    }
    return m;
  };
}

/**
 * Indexing where libraries declare `_[_]` overloads for their opaque types: those values go
 * to the matching overload (Cerbos's indexer takes only ints and names any other index type),
 * everything else is indexed as usual.
 */
function indexWith(indexers: readonly Overload[], v: CelValue, k: CelValue): CelResult {
  if (typeof v !== "object" || v === null || !("celTypeName" in v)) return indexValue(v, k);
  const o = indexers.find((x) => x.params.length === 2 && valueMatches(x.params[0]!, v));
  if (o === undefined) return indexValue(v, k);
  if (!valueMatches(o.params[1]!, k)) {
    return new CelError(`unsupported index type '${runtimeTypeName(k)}'`);
  }
  return o.impl(v, k);
}

/** Adds to a macro's accumulator map (a fresh object or Map owned by the comprehension). */
function insertEntry(m: CelMapValue, k: CelValue, v: CelValue): CelResult {
  if (mapGet(m, k) !== undefined)
    return new CelError(`insert failed: key ${formatKey(k)} already exists`);
  if (!isValidMapKey(k) && typeof k !== "number")
    return new CelError(`unsupported key type: ${runtimeTypeName(k)}`);
  if (m instanceof Map) {
    setMapKey(m as Map<CelMapKey, CelValue>, k, v);
    return m;
  }
  if (typeof k === "string" && !isCelMapLike(m)) {
    (m as Record<string, CelValue>)[k] = v;
    return m;
  }
  const copy = new Map<CelMapKey, CelValue>(mapEntries(m) as [CelMapKey, CelValue][]);
  setMapKey(copy, k, v);
  return copy;
}
