// The CEL type checker: resolves identifiers (including qualified names and namespaced
// functions such as `math.greatest`), picks candidate overloads, infers types with `dyn`
// as the gradual type, and reports problems with cel-go's wording. Its annotations drive
// the evaluator, which therefore never re-resolves names at run time.

import {
  ACCU_VAR,
  type CallNode,
  type ComprehensionNode,
  type Expr,
  type SelectNode,
} from "./ast.ts";
import type { Environment } from "./environment.ts";
import type { FieldReader, Overload } from "./library.ts";
import { parseDurationLiteral, parseTimestampLiteral } from "./time.ts";
import { compileRegex } from "./regex.ts";
import {
  DYN,
  FREE_TYPE,
  formatType,
  isAssignable,
  isImprecise,
  joinTypes,
  substitute,
  typeEquals,
  type Substitution,
} from "./type-rules.ts";
import { T, type CelType } from "./types.ts";

/** Element type of an empty literal: a free type variable that unification may bind. */
const FREE = FREE_TYPE;
import { CelUint } from "./value.ts";

export type Resolution =
  | { readonly kind: "global"; readonly name: string }
  | { readonly kind: "local"; readonly name: string }
  | { readonly kind: "type"; readonly type: CelType };

export interface CallResolution {
  /** The function's declared name (qualified for namespaced calls). */
  readonly name: string;
  /** Receiver style: the target is evaluated and passed first. */
  readonly member: boolean;
  /** Overloads that the static argument types admit, in declaration order. */
  readonly overloads: readonly Overload[];
}

export interface CheckIssue {
  readonly message: string;
  readonly offset: number;
}

export interface CheckResult {
  readonly types: ReadonlyMap<number, CelType>;
  /** Ident nodes, and select nodes that denote a qualified name, keyed by node id. */
  readonly resolutions: ReadonlyMap<number, Resolution>;
  readonly calls: ReadonlyMap<number, CallResolution>;
  /** Select nodes reading a field of a message with dynamic fields: map semantics at run time. */
  readonly dynamicSelects: ReadonlySet<number>;
  /** Select nodes reading a declared message field whose host objects have a fast reader. */
  readonly fieldReaders: ReadonlyMap<number, FieldReader>;
  readonly issues: readonly CheckIssue[];
  readonly resultType: CelType;
}

/** Functions the evaluator implements itself (logic with error absorption, indexing, macros' helpers). */
const SPECIAL_FUNCTIONS = new Set([
  "_&&_",
  "_||_",
  "_?_:_",
  "@not_strictly_false",
  "@listAppend",
  "@mapInsert",
  "_[_]",
  "_[?_]",
]);

export function checkExpression(env: Environment, expr: Expr): CheckResult {
  const c = new Checker(env);
  const resultType = c.check(expr);
  return {
    types: c.types,
    resolutions: c.resolutions,
    calls: c.calls,
    dynamicSelects: c.dynamicSelects,
    fieldReaders: c.fieldReaders,
    issues: c.issues,
    resultType,
  };
}

class Checker {
  readonly env: Environment;
  readonly types = new Map<number, CelType>();
  readonly resolutions = new Map<number, Resolution>();
  readonly calls = new Map<number, CallResolution>();
  readonly dynamicSelects = new Set<number>();
  readonly fieldReaders = new Map<number, FieldReader>();
  readonly issues: CheckIssue[] = [];
  /** Comprehension variables, innermost last. */
  readonly scopes: Map<string, CelType>[] = [];

  constructor(env: Environment) {
    this.env = env;
  }

  error(message: string, offset: number): CelType {
    this.issues.push({ message, offset });
    return T.error;
  }

  check(e: Expr): CelType {
    const t = this.checkNode(e);
    this.types.set(e.id, t);
    return t;
  }

  lookupLocal(name: string): CelType | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const t = this.scopes[i]!.get(name);
      if (t !== undefined) return t;
    }
    return undefined;
  }

  checkNode(e: Expr): CelType {
    switch (e.kind) {
      case "literal":
        return literalType(e.value);
      case "ident":
        return this.checkIdent(e.id, e.name, e.offset);
      case "select":
        return this.checkSelect(e);
      case "call":
        return this.checkCall(e);
      case "list": {
        let elem: CelType | undefined;
        e.elements.forEach((el, i) => {
          let t = this.check(el);
          if (e.optionalIndices.includes(i)) t = this.unwrapOptional(t, el.offset);
          elem = elem === undefined ? t : joinTypes(elem, t);
        });
        return T.list(elem ?? FREE);
      }
      case "map": {
        let key: CelType | undefined;
        let value: CelType | undefined;
        for (const entry of e.entries) {
          const k = this.check(entry.key);
          let v = this.check(entry.value);
          if (entry.optional) v = this.unwrapOptional(v, entry.value.offset);
          key = key === undefined ? k : joinTypes(key, k);
          value = value === undefined ? v : joinTypes(value, v);
        }
        return T.map(key ?? FREE, value ?? FREE);
      }
      case "struct": {
        const name = e.typeName.startsWith(".") ? e.typeName.slice(1) : e.typeName;
        const msg = this.env.messages.get(name);
        for (const f of e.fields) this.check(f.value);
        if (msg === undefined)
          return this.error(`undeclared reference to '${name}' (in container '')`, e.offset);
        for (const f of e.fields) {
          const ft = Object.hasOwn(msg.fields, f.name) ? msg.fields[f.name] : undefined;
          if (ft === undefined) {
            this.error(`undefined field '${f.name}'`, f.offset);
            continue;
          }
          let vt = this.types.get(f.value.id) ?? DYN;
          if (f.optional) vt = this.unwrapOptional(vt, f.value.offset);
          if (!isAssignable(ft, vt, new Map())) {
            this.error(
              `expected type of field '${f.name}' is '${formatType(ft)}' but provided type is '${formatType(vt)}'`,
              f.offset,
            );
          }
        }
        return T.message(name);
      }
      case "comprehension":
        return this.checkComprehension(e);
    }
  }

  unwrapOptional(t: CelType, offset: number): CelType {
    if (t.kind === "optional") return t.of;
    if (isImprecise(t)) return DYN;
    this.error(`expected type 'optional_type' but found '${formatType(t)}'`, offset);
    return T.error;
  }

  checkIdent(id: number, name: string, offset: number): CelType {
    if (!name.startsWith(".")) {
      const local = this.lookupLocal(name);
      if (local !== undefined) {
        this.resolutions.set(id, { kind: "local", name });
        return local;
      }
    }
    const plain = name.startsWith(".") ? name.slice(1) : name;
    const v = this.env.variables.get(plain);
    if (v !== undefined) {
      this.resolutions.set(id, { kind: "global", name: plain });
      return v;
    }
    const tn = this.env.typeNames.get(plain);
    if (tn !== undefined) {
      this.resolutions.set(id, { kind: "type", type: tn });
      return T.type(tn);
    }
    return this.error(`undeclared reference to '${plain}' (in container '')`, offset);
  }

  /** `a.b.c` as a dotted name when `a` is not a comprehension variable; undefined otherwise. */
  qualifiedName(e: Expr): string | undefined {
    if (e.kind === "ident")
      return e.name.startsWith(".") || this.lookupLocal(e.name) === undefined
        ? e.name.replace(/^\./, "")
        : undefined;
    if (e.kind === "select" && !e.optional && !e.testOnly) {
      const q = this.qualifiedName(e.operand);
      return q === undefined ? undefined : `${q}.${e.field}`;
    }
    return undefined;
  }

  checkSelect(e: SelectNode): CelType {
    if (!e.testOnly && !e.optional) {
      // A dotted name may itself be a declared variable or type (`google.protobuf.Timestamp`).
      const q = this.qualifiedName(e);
      if (q !== undefined && this.env.variables.has(q)) {
        this.resolutions.set(e.id, { kind: "global", name: q });
        return this.env.variables.get(q)!;
      }
      if (q !== undefined && this.env.typeNames.has(q) && !this.hasVariablePrefix(e.operand)) {
        const t = this.env.typeNames.get(q)!;
        this.resolutions.set(e.id, { kind: "type", type: t });
        return T.type(t);
      }
    }
    const operand = this.check(e.operand);
    if (operand.kind === "message" && this.env.messages.get(operand.name)?.dynamicFields === true) {
      this.dynamicSelects.add(e.id);
    }
    const fieldType = this.fieldType(operand, e.field, e.offset, e.optional);
    if (operand.kind === "message" && !e.testOnly && !e.optional && fieldType.kind !== "error") {
      const reader = this.env.messages.get(operand.name)?.fieldReader?.(e.field);
      if (reader !== undefined) this.fieldReaders.set(e.id, reader);
    }
    if (e.testOnly) return T.bool;
    if (e.optional) return fieldType.kind === "optional" ? fieldType : T.optional(fieldType);
    return fieldType;
  }

  /** Whether some prefix of the dotted operand resolves to a variable (then the select is a field access). */
  hasVariablePrefix(e: Expr): boolean {
    const q = this.qualifiedName(e);
    if (q === undefined) return true;
    const parts = q.split(".");
    for (let i = 1; i <= parts.length; i++) {
      if (this.env.variables.has(parts.slice(0, i).join("."))) return true;
    }
    return false;
  }

  fieldType(operand: CelType, field: string, offset: number, optional: boolean): CelType {
    switch (operand.kind) {
      case "dyn":
      case "error":
      case "param":
        return DYN;
      case "map":
        return operand.value;
      case "message": {
        const msg = this.env.messages.get(operand.name);
        // Own fields only: `C.constructor` names a field, not Object.prototype's member.
        const declared = msg !== undefined && Object.hasOwn(msg.fields, field);
        if (msg?.dynamicFields === true) return declared ? (msg.fields[field] as CelType) : DYN;
        const ft = declared ? msg.fields[field] : undefined;
        if (ft === undefined) return this.error(`undefined field '${field}'`, offset);
        return ft;
      }
      case "optional": {
        // Optional chaining: selecting through an optional yields an optional.
        const inner = this.fieldType(operand.of, field, offset, optional);
        return inner.kind === "optional" || inner.kind === "error" ? inner : T.optional(inner);
      }
      default:
        return this.error(`type '${formatType(operand)}' does not support field selection`, offset);
    }
  }

  checkComprehension(e: ComprehensionNode): CelType {
    const range = this.check(e.iterRange);
    let v1: CelType = DYN;
    let v2: CelType = DYN;
    switch (range.kind) {
      case "list":
        if (e.iterVar2 !== undefined) {
          v1 = T.int;
          v2 = range.elem;
        } else v1 = range.elem;
        break;
      case "map":
        v1 = range.key;
        v2 = range.value;
        break;
      case "dyn":
      case "error":
      case "param":
        break;
      default:
        this.error(
          `expression of type '${formatType(range)}' cannot be range of a comprehension (must be list, map, or dynamic)`,
          e.iterRange.offset,
        );
    }
    let accu = this.check(e.accuInit);
    const scope = new Map<string, CelType>([[e.accuVar, accu]]);
    this.scopes.push(scope);
    const iterScope = new Map<string, CelType>([[e.iterVar, v1]]);
    if (e.iterVar2 !== undefined) iterScope.set(e.iterVar2, v2);
    this.scopes.push(iterScope);
    const cond = this.check(e.loopCondition);
    if (!isAssignable(T.bool, cond, new Map()))
      this.error(`expected type 'bool' but found '${formatType(cond)}'`, e.loopCondition.offset);
    const step = this.check(e.loopStep);
    this.scopes.pop();
    // Macros start from an empty list or map; the step tells the element types.
    if (
      e.accuVar === ACCU_VAR &&
      (step.kind === "list" || step.kind === "map") &&
      step.kind === accu.kind
    )
      accu = step;
    scope.set(e.accuVar, accu);
    const result = this.check(e.result);
    this.scopes.pop();
    return result;
  }

  checkCall(e: CallNode): CelType {
    if (SPECIAL_FUNCTIONS.has(e.fn)) return this.checkSpecial(e);
    // Namespaced function: `math.greatest(...)` where `math` is not a variable.
    let name = e.fn.startsWith(".") ? e.fn.slice(1) : e.fn;
    let target = e.target;
    if (target !== undefined) {
      const q = this.qualifiedName(target);
      if (
        q !== undefined &&
        this.env.functions.has(`${q}.${name}`) &&
        !this.hasVariablePrefix(target)
      ) {
        name = `${q}.${name}`;
        target = undefined;
      }
    }
    const targetType = target === undefined ? undefined : this.check(target);
    const argTypes = e.args.map((a) => this.check(a));
    const decls = this.env.functions.get(name);
    const member = target !== undefined;
    if (decls === undefined) {
      // Recorded anyway so unchecked evaluation (conformance `disableCheck`) fails at run time.
      this.calls.set(e.id, { name, member, overloads: [] });
      return this.error(`undeclared reference to '${name}' (in container '')`, e.offset);
    }
    const actuals = member ? [targetType!, ...argTypes] : argTypes;
    const candidates: Overload[] = [];
    let result: CelType | undefined;
    for (const o of decls) {
      if ((o.receiver !== undefined) !== member || o.params.length !== argTypes.length) continue;
      const formals = member ? [o.receiver!, ...o.params] : o.params;
      const subst: Substitution = new Map();
      if (!formals.every((f, i) => isAssignable(f, actuals[i]!, subst))) continue;
      candidates.push(o);
      const r = substitute(o.result, subst);
      result = result === undefined ? r : typeEquals(result, r) ? result : DYN;
    }
    if (candidates.length === 0) {
      const arityMatches = decls.filter(
        (o) => (o.receiver !== undefined) === member && o.params.length === argTypes.length,
      );
      this.calls.set(e.id, { name, member, overloads: arityMatches });
      const shown = member
        ? `${formatType(targetType!)}.(${argTypes.map(formatType).join(", ")})`
        : `(${argTypes.map(formatType).join(", ")})`;
      // cel-go formats this message with the function name inside the format string, so
      // Cerbos prints `_%_` as `_%!_(MISSING)`; reproduce it for identical diagnostics.
      const printed = name.replace(/%_/g, "%!_(MISSING)");
      return this.error(
        `found no matching overload for '${printed}' applied to '${shown}'`,
        e.offset,
      );
    }
    this.calls.set(e.id, { name, member, overloads: candidates });
    this.validateLiterals(name, e);
    return result ?? DYN;
  }

  /** cel-go's compile-time checks of duration, timestamp and regex literals, as Cerbos enables them. */
  validateLiterals(name: string, e: CallNode): void {
    const lit = (x: Expr | undefined): string | undefined =>
      x?.kind === "literal" && typeof x.value === "string" ? x.value : undefined;
    const first = e.args[0];
    if (
      name === "timestamp" &&
      e.target === undefined &&
      first?.kind === "literal" &&
      typeof first.value === "bigint"
    ) {
      if (first.value < -62135596800n || first.value > 253402300799n)
        this.error("invalid timestamp argument", first.offset);
      return;
    }
    if (
      (name === "duration" || name === "timestamp") &&
      e.target === undefined &&
      e.args.length === 1
    ) {
      const s = lit(e.args[0]);
      if (s === undefined) return;
      const ok =
        name === "duration"
          ? parseDurationLiteral(s) !== undefined
          : parseTimestampLiteral(s) !== undefined;
      if (!ok) this.error(`invalid ${name} argument`, e.args[0]!.offset);
    } else if (name === "matches") {
      const pattern = e.target === undefined ? e.args[1] : e.args[0];
      const s = lit(pattern);
      if (s !== undefined && typeof compileRegex(s) === "string")
        this.error("invalid matches argument", pattern!.offset);
    }
  }

  checkSpecial(e: CallNode): CelType {
    const args = e.args;
    switch (e.fn) {
      case "_&&_":
      case "_||_": {
        for (const a of args) {
          const t = this.check(a);
          if (!isAssignable(T.bool, t, new Map()))
            this.error(`expected type 'bool' but found '${formatType(t)}'`, a.offset);
        }
        return T.bool;
      }
      case "@not_strictly_false":
        this.check(args[0]!);
        return T.bool;
      case "_?_:_": {
        const [c, a, b] = args.map((x) => this.check(x)) as [CelType, CelType, CelType];
        const subst: Substitution = new Map();
        if (
          !isAssignable(T.bool, c, subst) ||
          !isAssignable(T.param("A"), a, subst) ||
          !isAssignable(T.param("A"), b, subst)
        ) {
          return this.error(
            `found no matching overload for '_?_:_' applied to '(${[c, a, b].map(formatType).join(", ")})'`,
            e.offset,
          );
        }
        return joinTypes(a, b);
      }
      case "@listAppend": {
        const accu = this.check(args[0]!);
        const v = this.check(args[1]!);
        const elem =
          accu.kind === "list" && !(args[0]!.kind === "ident" && accu.elem.kind === "dyn")
            ? joinTypes(accu.elem, v)
            : v;
        return T.list(elem);
      }
      case "@mapInsert": {
        this.check(args[0]!);
        if (args.length === 3) {
          const k = this.check(args[1]!);
          const v = this.check(args[2]!);
          return T.map(k, v);
        }
        const m = this.check(args[1]!);
        return m.kind === "map" ? m : T.map(DYN, DYN);
      }
      default: {
        // _[_] and _[?_]
        const operand = this.check(args[0]!);
        const index = this.check(args[1]!);
        // Libraries may make opaque types indexable (Cerbos's `hierarchy("a.b")[1]`): the
        // evaluator needs their overloads for operands it cannot index itself
        const indexers = this.env.functions.get("_[_]");
        if (e.fn === "_[_]" && indexers !== undefined && indexers.length > 0) {
          this.calls.set(e.id, { name: "_[_]", member: false, overloads: indexers });
        }
        if (e.fn === "_[?_]" && operand.kind === "opaque") {
          // library indexers declare only `_[_]`
          return this.error(
            `found no matching overload for '_[?_]' applied to '(${formatType(operand)}, ${formatType(index)})'`,
            e.offset,
          );
        }
        const t = this.indexType(operand, index, e.offset);
        if (e.fn === "_[?_]" && t.kind !== "error")
          return t.kind === "optional" ? t : T.optional(t);
        return t;
      }
    }
  }

  indexType(operand: CelType, index: CelType, offset: number): CelType {
    const fail = (): CelType =>
      this.error(
        `found no matching overload for '_[_]' applied to '(${formatType(operand)}, ${formatType(index)})'`,
        offset,
      );
    switch (operand.kind) {
      case "dyn":
      case "error":
      case "param":
        return DYN;
      case "list":
        return isAssignable(T.int, index, new Map()) ? operand.elem : fail();
      case "map":
        return isAssignable(operand.key, index, new Map()) ? operand.value : fail();
      case "optional": {
        const inner = this.indexType(operand.of, index, offset);
        return inner.kind === "optional" || inner.kind === "error" ? inner : T.optional(inner);
      }
      case "opaque": {
        const o = (this.env.functions.get("_[_]") ?? []).find(
          (x) =>
            x.params.length === 2 &&
            isAssignable(x.params[0]!, operand, new Map()) &&
            isAssignable(x.params[1]!, index, new Map()),
        );
        return o === undefined ? fail() : o.result;
      }
      default:
        return fail();
    }
  }
}

function literalType(v: unknown): CelType {
  switch (typeof v) {
    case "boolean":
      return T.bool;
    case "bigint":
      return T.int;
    case "number":
      return T.double;
    case "string":
      return T.string;
    default:
      break;
  }
  if (v === null) return T.null;
  if (v instanceof CelUint) return T.uint;
  return T.bytes;
}
