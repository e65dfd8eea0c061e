// The planner's working tree, before it becomes a filter: logical operations over residual CEL
// expressions (what is left of a condition once everything known has been evaluated). Built
// bottom-up while the decision procedure walks the rules, then turned into a PlanFilter.

import type { Expr, LiteralNode } from "../cel/ast.ts";
import { formatCelValue } from "../cel/format.ts";

export type PlanNode =
  | { readonly kind: "and" | "or" | "not"; readonly nodes: readonly PlanNode[] }
  /**
   * A residual expression. Its literals may hold any CEL value (lists, maps, timestamps), not
   * only the scalar literals the parser produces; ids and offsets carry no meaning.
   */
  | { readonly kind: "expr"; readonly expr: Expr };

function literal(value: boolean): LiteralNode {
  return { kind: "literal", id: 0, offset: 0, value };
}

export const TRUE_NODE: PlanNode = Object.freeze({ kind: "expr", expr: literal(true) });
export const FALSE_NODE: PlanNode = Object.freeze({ kind: "expr", expr: literal(false) });

/** The boolean a node stands for when it is a bare `true` or `false` literal. */
export function constBool(node: PlanNode | undefined): boolean | undefined {
  if (node?.kind !== "expr" || node.expr.kind !== "literal") return undefined;
  const v = node.expr.value;
  return typeof v === "boolean" ? v : undefined;
}

/**
 * A structural key of an expression: equal for expressions that differ only in node ids,
 * offsets or the order of map and struct entries, as Cerbos compares nodes when it drops
 * duplicates from an `and` or `or`.
 */
export function exprKey(e: Expr): string {
  switch (e.kind) {
    case "literal":
      return `L${typeof e.value === "bigint" ? "i" : ""}${formatCelValue(e.value)}`;
    case "ident":
      return `I${e.name}`;
    case "select":
      return `S${e.testOnly ? "?" : ""}${e.optional ? "!" : ""}(${exprKey(e.operand)}).${e.field}`;
    case "call":
      return `C${e.fn}(${e.target ? exprKey(e.target) + ";" : ""}${e.args.map(exprKey).join(",")})`;
    case "list":
      return `[${e.elements.map(exprKey).join(",")}|${e.optionalIndices.join(",")}]`;
    case "map":
      return `{${e.entries
        .map((x) => `${x.optional ? "?" : ""}${exprKey(x.key)}:${exprKey(x.value)}`)
        .sort()
        .join(",")}}`;
    case "struct":
      return `${e.typeName}{${e.fields
        .map((f) => `${f.optional ? "?" : ""}${f.name}:${exprKey(f.value)}`)
        .sort()
        .join(",")}}`;
    case "comprehension":
      return `Q(${e.iterVar},${e.iterVar2 ?? ""},${e.accuVar};${exprKey(e.iterRange)};${exprKey(
        e.accuInit,
      )};${exprKey(e.loopCondition)};${exprKey(e.loopStep)};${exprKey(e.result)})`;
  }
}

export function nodeKey(n: PlanNode): string {
  return n.kind === "expr" ? exprKey(n.expr) : `${n.kind}(${n.nodes.map(nodeKey).join(",")})`;
}

/** The nodes without structural duplicates, first occurrence kept. */
function dedup(nodes: readonly PlanNode[]): PlanNode[] {
  if (nodes.length < 2) return [...nodes];
  const seen = new Set<string>();
  const out: PlanNode[] = [];
  for (const n of nodes) {
    const k = nodeKey(n);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(n);
  }
  return out;
}

/** `and` of the distinct nodes; the node itself when only one is left (Cerbos `MkAndNode`). */
export function andNode(nodes: readonly PlanNode[]): PlanNode | undefined {
  const unique = dedup(nodes);
  if (unique.length === 0) return undefined;
  return unique.length === 1 ? unique[0] : { kind: "and", nodes: unique };
}

/** `or` of the distinct nodes; the node itself when only one is left (Cerbos `MkOrNode`). */
export function orNode(nodes: readonly PlanNode[]): PlanNode | undefined {
  const unique = dedup(nodes);
  if (unique.length === 0) return undefined;
  return unique.length === 1 ? unique[0] : { kind: "or", nodes: unique };
}

/** `not node`, except that the negation of a `not` is what it negated (an `and` of several). */
export function invertNode(node: PlanNode): PlanNode {
  if (node.kind === "not") {
    return node.nodes.length === 1
      ? (node.nodes[0] as PlanNode)
      : { kind: "and", nodes: node.nodes };
  }
  return { kind: "not", nodes: [node] };
}
