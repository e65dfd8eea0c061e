// A recursive-descent parser for CEL (cel-spec grammar, including the optional syntax
// `a.?b`, `a[?k]`, `[?x]`, `{?k: v}`, `T{?f: v}`) that builds the lean AST of ast.ts and
// expands macros the way cel-go does. Hand-written rather than layered on @bufbuild/cel's
// generated parser: that grammar rejects the optional syntax, and a rewrite-then-restore
// scheme needs an offset map and a second tree walk that a direct parser does not.

import { ACCU_VAR, type Expr, type MapEntryNode, type StructFieldNode } from "./ast.ts";
import { tokenize, type Token } from "./lexer.ts";

export interface ParseIssue {
  readonly message: string;
  readonly offset: number;
}

export interface ParseResult {
  readonly expr?: Expr;
  readonly issues: readonly ParseIssue[];
  /** The highest node id used, so later stages can allocate more. */
  readonly maxId: number;
}

/** Lexer keywords in cel-go's grammar: never field names. */
const KEYWORDS = new Set(["true", "false", "null", "in"]);

const RESERVED = new Set([
  "as",
  "break",
  "const",
  "continue",
  "else",
  "for",
  "function",
  "if",
  "import",
  "let",
  "loop",
  "package",
  "namespace",
  "return",
  "var",
  "void",
  "while",
]);

/** Whether `name` is a CEL keyword or reserved word, so it can name no variable or constant. */
export function isReservedWord(name: string): boolean {
  return KEYWORDS.has(name) || RESERVED.has(name);
}

/** Thrown inside the parser only, to unwind on the first syntax error. */
class SyntaxFailure extends Error {
  readonly issue: ParseIssue;
  constructor(issue: ParseIssue) {
    super(issue.message);
    this.issue = issue;
  }
}

const MAX_DEPTH = 250;

/** The variable cel-go's `sortBy` macro binds its target to. */
const SORT_BY_INPUT = "@__sortBy_input__";
/** Expression kinds cel-go's `sortBy` macro accepts as its target. */
const SORTABLE_TARGETS: ReadonlySet<Expr["kind"]> = new Set([
  "list",
  "ident",
  "comprehension",
  "call",
  "select",
]);

export function parseCel(source: string): ParseResult {
  const p = new Parser(source);
  try {
    const expr = p.parseAll();
    // Later stages recurse over the tree; bound its depth as cel-go's parser does.
    if (treeDepth(expr) > MAX_DEPTH)
      return { issues: [{ message: "max recursion depth exceeded", offset: 0 }], maxId: p.lastId };
    return { expr, issues: [], maxId: p.lastId };
  } catch (e) {
    if (e instanceof SyntaxFailure) return { issues: [e.issue], maxId: p.lastId };
    throw e;
  }
}

class Parser {
  readonly tokens: Token[];
  pos = 0;
  lastId = 0;
  depth = 0;

  constructor(source: string) {
    this.tokens = tokenize(source);
  }

  parseAll(): Expr {
    const e = this.expr();
    const t = this.peek();
    if (t.kind !== "eof") {
      // ANTLR calls a token "extraneous" when deleting it would let parsing continue.
      const kind = this.peek(1).kind === "eof" ? "extraneous" : "mismatched";
      this.fail(`Syntax error: ${kind} input '${t.text}' expecting <EOF>`, t);
    }
    return e;
  }

  // --- token helpers -------------------------------------------------------------------

  peek(k = 0): Token {
    const t = this.tokens[Math.min(this.pos + k, this.tokens.length - 1)]!;
    if (t.kind === "error")
      this.fail(t.text.startsWith("token recognition") ? `Syntax error: ${t.text}` : t.text, t);
    return t;
  }
  next(): Token {
    const t = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }
  isPunct(text: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === "punct" && t.text === text;
  }
  accept(text: string): Token | undefined {
    return this.isPunct(text) ? this.next() : undefined;
  }
  expect(text: string): Token {
    const t = this.peek();
    if (t.kind === "punct" && t.text === text) return this.next();
    // ANTLR's single-token insertion: a missing `:` before something that starts an expression.
    if (text === ":" && startsExpression(t))
      return this.fail(`Syntax error: missing ':' at '${t.text}'`, t);
    return this.fail(`Syntax error: mismatched input '${t.text}' expecting '${text}'`, t);
  }
  fail(message: string, at: Token | number): never {
    throw new SyntaxFailure({ message, offset: typeof at === "number" ? at : at.offset });
  }
  id(): number {
    return ++this.lastId;
  }

  // --- grammar -------------------------------------------------------------------------

  expr(): Expr {
    if (++this.depth > MAX_DEPTH) this.fail("expression recursion limit exceeded", this.peek());
    const cond = this.or();
    let result = cond;
    const q = this.accept("?");
    if (q !== undefined) {
      const a = this.or();
      this.expect(":");
      const b = this.expr();
      result = this.call(q.offset, "_?_:_", undefined, [cond, a, b]);
    }
    this.depth--;
    return result;
  }

  or(): Expr {
    let left = this.and();
    for (let t = this.accept("||"); t !== undefined; t = this.accept("||")) {
      left = this.call(t.offset, "_||_", undefined, [left, this.and()]);
    }
    return left;
  }

  and(): Expr {
    let left = this.relation();
    for (let t = this.accept("&&"); t !== undefined; t = this.accept("&&")) {
      left = this.call(t.offset, "_&&_", undefined, [left, this.relation()]);
    }
    return left;
  }

  relation(): Expr {
    let left = this.addition();
    for (;;) {
      const t = this.peek();
      let fn: string | undefined;
      if (t.kind === "punct" && ["<", "<=", ">", ">=", "==", "!="].includes(t.text))
        fn = `_${t.text}_`;
      else if (t.kind === "ident" && t.text === "in") fn = "@in";
      if (fn === undefined) return left;
      this.next();
      left = this.call(t.offset, fn, undefined, [left, this.addition()]);
    }
  }

  addition(): Expr {
    let left = this.multiplication();
    for (;;) {
      const t = this.peek();
      if (t.kind !== "punct" || (t.text !== "+" && t.text !== "-")) return left;
      this.next();
      left = this.call(t.offset, `_${t.text}_`, undefined, [left, this.multiplication()]);
    }
  }

  multiplication(): Expr {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (t.kind !== "punct" || (t.text !== "*" && t.text !== "/" && t.text !== "%")) return left;
      this.next();
      left = this.call(t.offset, `_${t.text}_`, undefined, [left, this.unary()]);
    }
  }

  unary(): Expr {
    const t = this.peek();
    if (t.kind !== "punct" || (t.text !== "!" && t.text !== "-"))
      return this.member(this.primary());
    // cel-go consumes every repeated operator and drops pairs of them; an odd run of minus
    // signs before a number literal makes a negative literal (so the most negative int parses).
    let count = 0;
    while (this.isPunct(t.text)) {
      this.next();
      count++;
    }
    const n = this.peek();
    if (t.text === "-" && count % 2 === 1 && (n.kind === "int" || n.kind === "double")) {
      this.next();
      if (n.kind === "int") {
        const v = -(n.value as bigint);
        if (v < -(1n << 63n)) this.fail("invalid int literal", n);
        return this.member({ kind: "literal", id: this.id(), offset: t.offset, value: v });
      }
      return this.member({
        kind: "literal",
        id: this.id(),
        offset: t.offset,
        value: -(n.value as number),
      });
    }
    if (t.text === "!" && n.kind === "eof") {
      this.fail(`Syntax error: extraneous input '<EOF>' expecting ${EXPRESSION_START}`, n);
    }
    const operand = this.member(this.primary());
    if (count % 2 === 0) return operand;
    return this.call(t.offset, t.text === "!" ? "!_" : "-_", undefined, [operand]);
  }

  member(start: Expr): Expr {
    let e = start;
    for (;;) {
      const t = this.peek();
      if (t.kind !== "punct") return e;
      if (t.text === ".") {
        this.next();
        const optional = this.accept("?") !== undefined;
        const name = this.peek();
        if (name.kind === "eof")
          this.fail("Syntax error: no viable alternative at input '.'", name);
        if (name.kind === "punct") {
          this.fail(`Syntax error: no viable alternative at input '.${name.text}'`, name);
        }
        if (name.kind !== "quoted" && (name.kind !== "ident" || KEYWORDS.has(name.text))) {
          this.fail(`Syntax error: mismatched input '${name.text}' expecting IDENTIFIER`, name);
        }
        this.next();
        if (!optional && name.kind === "ident" && this.isPunct("(")) {
          const open = this.next();
          const args = this.args(")");
          e =
            this.expandMemberMacro(open.offset, e, name.text, args) ??
            this.call(open.offset, name.text, e, args);
        } else {
          e = {
            kind: "select",
            id: this.id(),
            offset: t.offset,
            operand: e,
            field: name.text,
            testOnly: false,
            optional,
          };
        }
      } else if (t.text === "[") {
        this.next();
        const optional = this.accept("?") !== undefined;
        const index = this.expr();
        this.expect("]");
        e = this.call(t.offset, optional ? "_[?_]" : "_[_]", undefined, [e, index]);
      } else if (t.text === "{" && isQualifiedName(e)) {
        e = this.structBody(qualifiedName(e));
      } else {
        return e;
      }
    }
  }

  primary(): Expr {
    const t = this.next();
    switch (t.kind) {
      case "int":
        if ((t.value as bigint) > (1n << 63n) - 1n) this.fail("invalid int literal", t);
        return { kind: "literal", id: this.id(), offset: t.offset, value: t.value! };
      case "uint":
      case "double":
      case "string":
      case "bytes":
        return { kind: "literal", id: this.id(), offset: t.offset, value: t.value! };
      case "ident":
        return this.identOrCall(t, false);
      case "eof":
        return this.fail(`Syntax error: mismatched input '<EOF>' expecting ${EXPRESSION_START}`, t);
      default:
        break;
    }
    switch (t.text) {
      case ".": {
        const name = this.next();
        if (name.kind !== "ident")
          this.fail(`Syntax error: mismatched input '${name.text}' expecting IDENTIFIER`, name);
        return this.identOrCall(name, true);
      }
      case "(": {
        const e = this.expr();
        this.expect(")");
        return e;
      }
      case "[": {
        const elements: Expr[] = [];
        const optionalIndices: number[] = [];
        while (!this.isPunct("]")) {
          if (this.accept("?") !== undefined) optionalIndices.push(elements.length);
          elements.push(this.expr());
          if (this.accept(",") === undefined) break;
        }
        this.expect("]");
        return { kind: "list", id: this.id(), offset: t.offset, elements, optionalIndices };
      }
      case "{": {
        const id = this.id();
        const entries: MapEntryNode[] = [];
        while (!this.isPunct("}")) {
          const optional = this.accept("?") !== undefined;
          const key = this.expr();
          const colon = this.expect(":");
          const value = this.expr();
          entries.push({ offset: colon.offset, key, value, optional });
          if (this.accept(",") === undefined) break;
        }
        this.expect("}");
        return { kind: "map", id, offset: t.offset, entries };
      }
      default: {
        const kind = startsExpression(this.peek()) ? "extraneous" : "mismatched";
        return this.fail(
          `Syntax error: ${kind} input '${t.text}' expecting ${EXPRESSION_START}`,
          t,
        );
      }
    }
  }

  identOrCall(t: Token, leadingDot: boolean): Expr {
    const name = t.text;
    if (name === "true" || name === "false")
      return { kind: "literal", id: this.id(), offset: t.offset, value: name === "true" };
    if (name === "null") return { kind: "literal", id: this.id(), offset: t.offset, value: null };
    if (RESERVED.has(name) || name === "in")
      this.fail(`Syntax error: reserved identifier: ${name}`, t);
    const full = leadingDot ? `.${name}` : name;
    if (this.isPunct("(")) {
      const open = this.next();
      const args = this.args(")");
      return (
        this.expandGlobalMacro(open.offset, full, args) ??
        this.call(open.offset, full, undefined, args)
      );
    }
    return { kind: "ident", id: this.id(), offset: t.offset, name: full };
  }

  args(close: string): Expr[] {
    const args: Expr[] = [];
    while (!this.isPunct(close)) {
      args.push(this.expr());
      if (this.accept(",") === undefined) break;
    }
    this.expect(close);
    return args;
  }

  structBody(typeName: string): Expr {
    const open = this.expect("{");
    const id = this.id();
    const fields: StructFieldNode[] = [];
    while (!this.isPunct("}")) {
      const optional = this.accept("?") !== undefined;
      const name = this.next();
      if (name.kind !== "quoted" && (name.kind !== "ident" || KEYWORDS.has(name.text))) {
        this.fail(`Syntax error: mismatched input '${name.text}' expecting IDENTIFIER`, name);
      }
      const colon = this.expect(":");
      fields.push({ offset: colon.offset, name: name.text, value: this.expr(), optional });
      if (this.accept(",") === undefined) break;
    }
    this.expect("}");
    return { kind: "struct", id, offset: open.offset, typeName, fields };
  }

  call(offset: number, fn: string, target: Expr | undefined, args: readonly Expr[]): Expr {
    return { kind: "call", id: this.id(), offset, fn, target, args };
  }

  // --- macros ---------------------------------------------------------------------------

  expandGlobalMacro(offset: number, fn: string, args: Expr[]): Expr | undefined {
    if (fn === "has" && args.length === 1) {
      const arg = args[0]!;
      if (arg.kind !== "select" || arg.optional || arg.testOnly)
        this.fail("invalid argument to has() macro", arg.offset);
      return { ...arg, id: this.id(), testOnly: true };
    }
    return undefined;
  }

  expandMemberMacro(offset: number, target: Expr, fn: string, args: Expr[]): Expr | undefined {
    const n = args.length;
    // Namespaced macro: cel.bind(var, init, body).
    if (fn === "bind" && n === 3 && target.kind === "ident" && target.name === "cel") {
      const v = this.iterName(args[0]!, "cel.bind() variable names must be simple identifiers");
      return this.comprehension(
        offset,
        "#unused",
        undefined,
        this.emptyList(offset),
        v,
        args[1]!,
        this.lit(offset, false),
        this.ident(offset, v),
        args[2]!,
      );
    }
    switch (fn) {
      case "sortBy": {
        // cel-go's lists extension: bind the target once and sort it by the mapped keys,
        // `cel.bind(@__sortBy_input__, target,
        //   @__sortBy_input__.@sortByAssociatedKeys(@__sortBy_input__.map(v, key)))`
        if (n !== 2) return undefined;
        if (!SORTABLE_TARGETS.has(target.kind)) {
          this.fail(
            "sortBy can only be applied to a list, identifier, comprehension, call or select expression",
            target.offset,
          );
        }
        this.iterName(args[0]!, "argument is not an identifier");
        const input = (): Expr => this.ident(offset, SORT_BY_INPUT);
        const keys = this.expandMemberMacro(offset, input(), "map", args)!;
        return this.comprehension(
          offset,
          "#unused",
          undefined,
          this.emptyList(offset),
          SORT_BY_INPUT,
          target,
          this.lit(offset, false),
          this.ident(offset, SORT_BY_INPUT),
          this.call(offset, "@sortByAssociatedKeys", input(), [keys]),
        );
      }
      case "all":
      case "exists":
      case "exists_one":
      case "existsOne": {
        if (n !== 2 && n !== 3) return undefined;
        const v1 = this.iterName(args[0]!);
        const v2 = n === 3 ? this.iterName(args[1]!) : undefined;
        if (v2 !== undefined && v1 === v2)
          this.fail(`duplicate variable name: ${v1}`, args[1]!.offset);
        const pred = args[n - 1]!;
        const accu = (): Expr => this.ident(offset, ACCU_VAR);
        if (fn === "all") {
          return this.comprehension(
            offset,
            v1,
            v2,
            target,
            ACCU_VAR,
            this.lit(offset, true),
            this.call(offset, "@not_strictly_false", undefined, [accu()]),
            this.call(offset, "_&&_", undefined, [accu(), pred]),
            accu(),
          );
        }
        if (fn === "exists") {
          return this.comprehension(
            offset,
            v1,
            v2,
            target,
            ACCU_VAR,
            this.lit(offset, false),
            this.call(offset, "@not_strictly_false", undefined, [
              this.call(offset, "!_", undefined, [accu()]),
            ]),
            this.call(offset, "_||_", undefined, [accu(), pred]),
            accu(),
          );
        }
        const step = this.call(offset, "_?_:_", undefined, [
          pred,
          this.call(offset, "_+_", undefined, [accu(), this.lit(offset, 1n)]),
          accu(),
        ]);
        return this.comprehension(
          offset,
          v1,
          v2,
          target,
          ACCU_VAR,
          this.lit(offset, 0n),
          this.lit(offset, true),
          step,
          this.call(offset, "_==_", undefined, [accu(), this.lit(offset, 1n)]),
        );
      }
      case "map":
      case "filter": {
        if (n !== 2 && !(fn === "map" && n === 3)) return undefined;
        const v = this.iterName(args[0]!);
        const accu = (): Expr => this.ident(offset, ACCU_VAR);
        const filter = fn === "filter" ? args[1]! : n === 3 ? args[1]! : undefined;
        const value = fn === "filter" ? this.ident(offset, v) : args[n - 1]!;
        const append = this.call(offset, "@listAppend", undefined, [accu(), value]);
        const step =
          filter === undefined
            ? append
            : this.call(offset, "_?_:_", undefined, [filter, append, accu()]);
        return this.comprehension(
          offset,
          v,
          undefined,
          target,
          ACCU_VAR,
          this.emptyList(offset),
          this.lit(offset, true),
          step,
          accu(),
        );
      }
      case "transformList":
      case "transformMap":
      case "transformMapEntry": {
        if (n !== 3 && n !== 4) return undefined;
        const v1 = this.iterName(args[0]!);
        const v2 = this.iterName(args[1]!);
        if (v1 === v2) this.fail(`duplicate variable name: ${v1}`, args[1]!.offset);
        const accu = (): Expr => this.ident(offset, ACCU_VAR);
        const filter = n === 4 ? args[2]! : undefined;
        const value = args[n - 1]!;
        let step: Expr;
        let init: Expr;
        if (fn === "transformList") {
          init = this.emptyList(offset);
          step = this.call(offset, "@listAppend", undefined, [accu(), value]);
        } else if (fn === "transformMap") {
          init = { kind: "map", id: this.id(), offset, entries: [] };
          step = this.call(offset, "@mapInsert", undefined, [
            accu(),
            this.ident(offset, v1),
            value,
          ]);
        } else {
          init = { kind: "map", id: this.id(), offset, entries: [] };
          step = this.call(offset, "@mapInsert", undefined, [accu(), value]);
        }
        if (filter !== undefined)
          step = this.call(offset, "_?_:_", undefined, [filter, step, accu()]);
        return this.comprehension(
          offset,
          v1,
          v2,
          target,
          ACCU_VAR,
          init,
          this.lit(offset, true),
          step,
          accu(),
        );
      }
      case "optMap":
      case "optFlatMap": {
        if (n !== 2) return undefined;
        const v = this.iterName(args[0]!, `${fn}() variable name must be a simple identifier`);
        const value = this.call(offset, "value", target, []);
        const bound = this.comprehension(
          offset,
          "#unused",
          undefined,
          this.emptyList(offset),
          v,
          value,
          this.lit(offset, false),
          this.ident(offset, v),
          args[1]!,
        );
        const then = fn === "optMap" ? this.call(offset, "optional.of", undefined, [bound]) : bound;
        return this.call(offset, "_?_:_", undefined, [
          this.call(offset, "hasValue", target, []),
          then,
          this.call(offset, "optional.none", undefined, []),
        ]);
      }
      default:
        return undefined;
    }
  }

  iterName(e: Expr, message = "argument must be a simple name"): string {
    if (e.kind !== "ident" || e.name.startsWith(".")) this.fail(message, e.offset);
    // cel-go's accumulator is named __result__ in older ASTs; reject the clash as it does.
    if (e.name === "__result__")
      this.fail("iteration variable overwrites accumulator variable", e.offset);
    return e.name;
  }

  comprehension(
    offset: number,
    iterVar: string,
    iterVar2: string | undefined,
    iterRange: Expr,
    accuVar: string,
    accuInit: Expr,
    loopCondition: Expr,
    loopStep: Expr,
    result: Expr,
  ): Expr {
    return {
      kind: "comprehension",
      id: this.id(),
      offset,
      iterVar,
      iterVar2,
      iterRange,
      accuVar,
      accuInit,
      loopCondition,
      loopStep,
      result,
    };
  }
  lit(offset: number, value: boolean | bigint): Expr {
    return { kind: "literal", id: this.id(), offset, value };
  }
  ident(offset: number, name: string): Expr {
    return { kind: "ident", id: this.id(), offset, name };
  }
  emptyList(offset: number): Expr {
    return { kind: "list", id: this.id(), offset, elements: [], optionalIndices: [] };
  }
}

const EXPRESSION_START =
  "{'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}";

function startsExpression(t: Token): boolean {
  switch (t.kind) {
    case "int":
    case "uint":
    case "double":
    case "string":
    case "bytes":
      return true;
    case "ident":
      return !RESERVED.has(t.text) && t.text !== "in";
    case "punct":
      return ["[", "{", "(", ".", "-", "!"].includes(t.text);
    default:
      return false;
  }
}

function isQualifiedName(e: Expr): boolean {
  if (e.kind === "ident") return true;
  return e.kind === "select" && !e.optional && !e.testOnly && isQualifiedName(e.operand);
}

function qualifiedName(e: Expr): string {
  if (e.kind === "ident") return e.name;
  if (e.kind === "select") return `${qualifiedName(e.operand)}.${e.field}`;
  return "";
}

function children(e: Expr): readonly Expr[] {
  switch (e.kind) {
    case "select":
      return [e.operand];
    case "call":
      return e.target === undefined ? e.args : [e.target, ...e.args];
    case "list":
      return e.elements;
    case "map":
      return e.entries.flatMap((x) => [x.key, x.value]);
    case "struct":
      return e.fields.map((f) => f.value);
    case "comprehension":
      return [e.iterRange, e.accuInit, e.loopCondition, e.loopStep, e.result];
    default:
      return [];
  }
}

/** Depth of the tree, computed without recursion so hostile input cannot overflow the stack. */
function treeDepth(root: Expr): number {
  let max = 0;
  const stack: [Expr, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [e, d] = stack.pop()!;
    if (d > max) max = d;
    for (const c of children(e)) stack.push([c, d + 1]);
  }
  return max;
}
