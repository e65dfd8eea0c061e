// Turns the planner's working tree (logical nodes over residual CEL expressions) into the operand
// tree of a PlanResources filter, before any simplification: CEL operators become Cerbos's
// operator names, select chains on identifiers become dotted variables, constants become values,
// list and map literals with unknown parts become `list` and `struct` expressions, and
// comprehensions become `lambda` forms (see filter-lambda.ts). The result is mutable on purpose:
// the normalisation in filter-normalise.ts rewrites it in place, as Cerbos does.

import type { CallNode, Expr, LiteralNode, StructFieldNode } from "../cel/ast.ts";
import {
  CelDuration,
  CelOptional,
  CelTimestamp,
  CelTypeValue,
  CelUint,
  formatDuration,
  formatTimestamp,
  isCelError,
  isCelMap,
  mapEntries,
  type CelValue,
} from "../cel/index.ts";
import type { JsonValue } from "../policy/model.ts";
import { FilterBuildError } from "./filter-error.ts";
import { decodeComprehension, type LambdaShape } from "./filter-lambda.ts";
import type { PlanNode } from "./plan-node.ts";

export interface MutableExpression {
  operator: string;
  operands: MutableOperand[];
}

export type MutableOperand =
  { value: JsonValue } | { variable: string } | { expression: MutableExpression };

/** cel-go's operator functions and the names Cerbos gives them in a filter. */
const OPERATORS: ReadonlyMap<string, string> = new Map([
  ["_==_", "eq"],
  ["_!=_", "ne"],
  ["_>_", "gt"],
  ["_>=_", "ge"],
  ["_<_", "lt"],
  ["_<=_", "le"],
  ["@in", "in"],
  ["_+_", "add"],
  ["_-_", "sub"],
  ["_*_", "mult"],
  ["_/_", "div"],
  ["_%_", "mod"],
  ["_[_]", "index"],
  ["_&&_", "and"],
  ["_||_", "or"],
  ["!_", "not"],
  ["_?_:_", "if"],
]);

/**
 * Cerbos's namespaced functions. The parser reads `strings.quote(x)` as a call of `quote` on the
 * identifier `strings`; cel-go's checked tree (which Cerbos converts) names the function
 * `strings.quote` and has no target.
 */
const NAMESPACED_FUNCTIONS: ReadonlySet<string> = new Set([
  "base64.decode",
  "base64.encode",
  "lists.range",
  ...[
    "abs",
    "bitAnd",
    "bitNot",
    "bitOr",
    "bitShiftLeft",
    "bitShiftRight",
    "bitXor",
    "ceil",
    "floor",
    "greatest",
    "isFinite",
    "isInf",
    "isNaN",
    "least",
    "round",
    "sign",
    "sqrt",
    "trunc",
  ].map((f) => `math.${f}`),
  "optional.none",
  "optional.of",
  "optional.ofNonZeroValue",
  "regex.extract",
  "regex.extractAll",
  "regex.replace",
  "sets.contains",
  "sets.equivalent",
  "sets.intersects",
  "strings.quote",
]);

/** Macros of cel-go's math extension, expanded at parse time into these internal functions. */
const MACRO_FUNCTIONS: ReadonlyMap<string, string> = new Map([
  ["math.greatest", "math.@max"],
  ["math.least", "math.@min"],
]);

const LAMBDA_ON_MAPS: ReadonlySet<string> = new Set([
  "transformMap",
  "transformMapEntry",
  "transformList",
]);

/** The operand tree of a PlanNode (Cerbos `convert`). */
export function buildNode(node: PlanNode): MutableOperand {
  if (node.kind === "expr") return buildExpr(node.expr, false);
  return { expression: { operator: node.kind, operands: node.nodes.map(buildNode) } };
}

type Scalar = null | boolean | bigint | CelUint | number | string | Uint8Array;

function isScalar(v: CelValue): v is Scalar {
  return (
    v === null ||
    typeof v === "boolean" ||
    typeof v === "bigint" ||
    typeof v === "number" ||
    typeof v === "string" ||
    v instanceof CelUint ||
    v instanceof Uint8Array
  );
}

/** A literal that cel-go would hold as a constant (not a list, map, timestamp, ...). */
function isConstant(e: Expr): e is LiteralNode & { value: Scalar } {
  return e.kind === "literal" && isScalar(e.value);
}

/** A constant as google.protobuf.Value holds it: int64 and uint64 become doubles, bytes base64. */
function constantValue(v: Scalar): JsonValue {
  if (typeof v === "bigint") return Number(v);
  if (v instanceof CelUint) return Number(v.value);
  if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
  return v;
}

function synthetic<T extends object>(node: T): T & { id: number; offset: number } {
  return { ...node, id: 0, offset: 0 };
}

function literalNode(value: CelValue): Expr {
  return synthetic({ kind: "literal" as const, value });
}

/**
 * The expression cel-go's residual pruning writes for a known value: constants stay constants,
 * lists and maps become literals of their elements, timestamps and durations become
 * `timestamp("...")` and `duration("...")` calls. Map entries are put in key order: Cerbos's
 * order there is Go's map order (random), so any fixed order is as right as another.
 */
function valueExpr(v: CelValue): Expr {
  if (isScalar(v)) return literalNode(v);
  if (v instanceof CelTimestamp) return callNode("timestamp", [literalNode(formatTimestamp(v))]);
  if (v instanceof CelDuration) return callNode("duration", [literalNode(formatDuration(v))]);
  if (v instanceof CelTypeValue) return synthetic({ kind: "ident" as const, name: v.name });
  if (v instanceof CelOptional) {
    return v.value === undefined
      ? callNode("optional.none", [])
      : callNode("optional.of", [valueExpr(v.value)]);
  }
  if (Array.isArray(v)) {
    return synthetic({
      kind: "list" as const,
      elements: (v as readonly CelValue[]).map(valueExpr),
      optionalIndices: [],
    });
  }
  if (isCelMap(v)) {
    const entries = mapEntries(v).map(([k, x]) => {
      if (isCelError(x)) throw new FilterBuildError(`unsupported constant: ${x.message}`);
      return { offset: 0, key: valueExpr(k), value: valueExpr(x), optional: false };
    });
    return synthetic({ kind: "map" as const, entries: sortByKey(entries, (x) => x.key) });
  }
  throw new FilterBuildError(
    `unsupported constant: ${(v as { celTypeName?: string }).celTypeName ?? typeof v}`,
  );
}

function callNode(fn: string, args: readonly Expr[]): CallNode {
  return synthetic({ kind: "call" as const, fn, target: undefined, args });
}

/** The expression as Cerbos sees it: known non-constant values expanded into literals. */
function expandLiteral(e: Expr): Expr {
  return e.kind === "literal" && !isScalar(e.value) ? valueExpr(e.value) : e;
}

/** A constant, or any other expression, spelled as cel-go's protobuf text spells it. */
function protoText(e: Expr): string {
  if (e.kind === "literal") {
    const v = e.value;
    if (v === null) return "const_expr:{null_value:NULL_VALUE}";
    if (typeof v === "boolean") return `const_expr:{bool_value:${v}}`;
    if (typeof v === "bigint") return `const_expr:{int64_value:${v}}`;
    if (v instanceof CelUint) return `const_expr:{uint64_value:${v.value}}`;
    if (typeof v === "number") return `const_expr:{double_value:${v}}`;
    if (typeof v === "string") return `const_expr:{string_value:${protoTextString(v)}}`;
    if (v instanceof Uint8Array)
      return `const_expr:{bytes_value:${protoTextString(Buffer.from(v).toString("latin1"))}}`;
    return protoText(expandLiteral(e));
  }
  switch (e.kind) {
    case "ident":
      return `ident_expr:{name:${protoTextString(e.name)}}`;
    case "select":
      return `select_expr:{operand:{${protoText(e.operand)}} field:${protoTextString(e.field)}${e.testOnly ? " test_only:true" : ""}}`;
    case "call":
      return `call_expr:{${e.target ? `target:{${protoText(e.target)}} ` : ""}function:${protoTextString(e.fn)}${e.args.map((a) => ` args:{${protoText(a)}}`).join("")}}`;
    case "list":
      return `list_expr:{${e.elements.map((a) => `elements:{${protoText(a)}}`).join(" ")}}`;
    case "map":
      return `struct_expr:{${e.entries.map((x) => `entries:{map_key:{${protoText(x.key)}} value:{${protoText(x.value)}}}`).join(" ")}}`;
    case "struct":
      return `struct_expr:{message_name:${protoTextString(e.typeName)}${e.fields.map((f) => ` entries:{field_key:${protoTextString(f.name)} value:{${protoText(f.value)}}}`).join("")}}`;
    case "comprehension":
      return `comprehension_expr:{iter_var:${protoTextString(e.iterVar)} iter_range:{${protoText(e.iterRange)}}}`;
  }
}

/** Go's protobuf text quoting: UTF-8 kept, quotes, backslashes and control characters escaped. */
function protoTextString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || c === 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
    else if (c >= 0x80 && c <= 0x9f) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += ch;
  }
  return out + '"';
}

/** Go's string order: bytewise over UTF-8. */
export function compareGoStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

function sortByKey<T>(items: readonly T[], key: (x: T) => Expr): T[] {
  return items
    .map((x) => ({ x, k: protoText(key(x)) }))
    .sort((a, b) => compareGoStrings(a.k, b.k))
    .map((e) => e.x);
}

/** The keys of a map or message literal in Cerbos's order (by their protobuf text). */
function structKeys(e: Expr & { kind: "map" | "struct" }): Expr[] {
  if (e.kind === "map") return sortByKey(e.entries, (x) => x.key).map((x) => x.key);
  return sortByKey(
    e.fields.map((f: StructFieldNode) => literalNode(f.name)),
    (x) => x,
  );
}

function listNode(elements: readonly Expr[]): Expr {
  return synthetic({ kind: "list" as const, elements, optionalIndices: [] });
}

/**
 * One residual expression as a filter operand (Cerbos `buildExprImpl`). `membershipRange` is
 * set for the right-hand side of `in`, where a map or message stands for its keys.
 */
export function buildExpr(e: Expr, membershipRange: boolean): MutableOperand {
  switch (e.kind) {
    case "literal":
      if (isScalar(e.value)) return { value: constantValue(e.value) };
      return buildExpr(valueExpr(e.value), membershipRange);
    case "ident":
      return { variable: e.name };
    case "select":
      return buildSelect(e);
    case "call":
      return buildCall(e);
    case "list": {
      if (e.optionalIndices.length > 0)
        throw new FilterBuildError("optional not supported: optional list element");
      const constants = e.elements.filter(isConstant);
      if (constants.length === e.elements.length)
        return { value: constants.map((x) => constantValue(x.value)) };
      return {
        expression: { operator: "list", operands: e.elements.map((x) => buildExpr(x, false)) },
      };
    }
    case "map":
    case "struct": {
      if (membershipRange) return buildExpr(listNode(structKeys(e)), false);
      const entries =
        e.kind === "map"
          ? e.entries.map((x) => ({
              key: buildExpr(x.key, false),
              value: x.value,
              optional: x.optional,
            }))
          : e.fields.map((f) => ({
              key: { value: f.name },
              value: f.value,
              optional: f.optional,
            }));
      return {
        expression: {
          operator: "struct",
          operands: entries.map((x) => {
            if (x.optional)
              throw new FilterBuildError("optional not supported: optional map entry");
            return {
              expression: { operator: "set-field", operands: [x.key, buildExpr(x.value, false)] },
            };
          }),
        },
      };
    }
    case "comprehension":
      return buildLambda(decodeComprehension(e, expandLiteral));
  }
}

function buildSelect(e: Expr & { kind: "select" }): MutableOperand {
  // `has(x.f)` only says the field is there: Cerbos treats it as satisfied.
  if (e.testOnly) return { value: true };
  // `x.?f` is cel-go's `_?._(x, "f")`.
  if (e.optional) {
    return {
      expression: { operator: "_?._", operands: [buildExpr(e.operand, false), { value: e.field }] },
    };
  }
  const names = [e.field];
  let operand = e.operand;
  for (;;) {
    if (operand.kind === "ident") {
      names.push(operand.name);
      return { variable: names.reverse().join(".") };
    }
    if (operand.kind !== "select" || operand.optional) break;
    names.push(operand.field);
    operand = operand.operand;
  }
  return {
    expression: {
      operator: "get-field",
      operands: [buildExpr(e.operand, false), { variable: e.field }],
    },
  };
}

function buildCall(e: CallNode): MutableOperand {
  let name = e.fn;
  let target = e.target;
  if (target?.kind === "ident" && NAMESPACED_FUNCTIONS.has(`${target.name}.${name}`)) {
    name = `${target.name}.${name}`;
    target = undefined;
  }
  name = MACRO_FUNCTIONS.get(name) ?? name;
  const operator = OPERATORS.get(name) ?? name;
  const membership = name === "@in" && target === undefined && e.args.length === 2;
  const operands = e.args.map((a, i) => buildExpr(a, membership && i === 1));
  if (target !== undefined) operands.unshift(buildExpr(target, false));
  return { expression: { operator, operands } };
}

/** `(operator range (lambda body [body2] iterVar [iterVar2]))` (Cerbos `lambdaAST.mkNode`). */
function buildLambda(shape: LambdaShape): MutableOperand {
  const args: MutableOperand[] = [buildExpr(shape.expr, false)];
  if (shape.expr2 !== undefined) args.push(buildExpr(shape.expr2, false));
  args.push({ variable: shape.iterVar });
  if (shape.iterVar2 !== undefined) args.push({ variable: shape.iterVar2 });
  let range = expandLiteral(shape.iterRange);
  if ((range.kind === "map" || range.kind === "struct") && !LAMBDA_ON_MAPS.has(shape.operator))
    range = listNode(structKeys(range));
  return {
    expression: {
      operator: shape.operator,
      operands: [buildExpr(range, false), { expression: { operator: "lambda", operands: args } }],
    },
  };
}
