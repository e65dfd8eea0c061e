// The lean CEL syntax tree the parser produces and the checker and evaluator consume. Macros
// (has, all, exists, map, filter, cel.bind, two-variable comprehensions, optMap, ...) are
// already expanded into comprehensions, so later stages see only these node kinds.

import type { CelValue } from "./value.ts";

interface NodeBase {
  /** Unique within one parsed expression; keys the checker's annotations. */
  readonly id: number;
  /** Offset of the node's operator or first character in the original source (UTF-16 units). */
  readonly offset: number;
}

export interface LiteralNode extends NodeBase {
  readonly kind: "literal";
  /** null, boolean, bigint (int), CelUint, number (double), string or Uint8Array. */
  readonly value: CelValue;
}

export interface IdentNode extends NodeBase {
  readonly kind: "ident";
  readonly name: string;
}

export interface SelectNode extends NodeBase {
  readonly kind: "select";
  readonly operand: Expr;
  readonly field: string;
  /** `has(a.b)`: tests presence instead of reading. */
  readonly testOnly: boolean;
  /** `a.?b`: yields an optional. */
  readonly optional: boolean;
}

export interface CallNode extends NodeBase {
  readonly kind: "call";
  /** Operators use cel-go's internal names: `_+_`, `_[_]`, `_[?_]`, `@in`, `!_`, `-_`, `_?_:_`. */
  readonly fn: string;
  readonly target: Expr | undefined;
  readonly args: readonly Expr[];
}

export interface ListNode extends NodeBase {
  readonly kind: "list";
  readonly elements: readonly Expr[];
  /** Positions of `?x` elements, included only when the optional has a value. */
  readonly optionalIndices: readonly number[];
}

export interface MapEntryNode {
  readonly offset: number;
  readonly key: Expr;
  readonly value: Expr;
  readonly optional: boolean;
}

export interface MapNode extends NodeBase {
  readonly kind: "map";
  readonly entries: readonly MapEntryNode[];
}

export interface StructFieldNode {
  readonly offset: number;
  readonly name: string;
  readonly value: Expr;
  readonly optional: boolean;
}

export interface StructNode extends NodeBase {
  readonly kind: "struct";
  readonly typeName: string;
  readonly fields: readonly StructFieldNode[];
}

/** cel-go's general comprehension; iterVar2 is set for two-variable forms. */
export interface ComprehensionNode extends NodeBase {
  readonly kind: "comprehension";
  readonly iterVar: string;
  readonly iterVar2: string | undefined;
  readonly iterRange: Expr;
  readonly accuVar: string;
  readonly accuInit: Expr;
  readonly loopCondition: Expr;
  readonly loopStep: Expr;
  readonly result: Expr;
}

export type Expr =
  | LiteralNode
  | IdentNode
  | SelectNode
  | CallNode
  | ListNode
  | MapNode
  | StructNode
  | ComprehensionNode;

/** The accumulator name cel-go's macros use; not a valid identifier, so users cannot shadow it. */
export const ACCU_VAR = "@result";
