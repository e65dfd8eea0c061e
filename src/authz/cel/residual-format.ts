// A readable rendering of residual expressions, for tests and debugging: CEL-like text with every
// operator application in parentheses, so the tree's shape shows. Comprehensions are written out
// as `compr(iterVar[, iterVar2], range, init, condition, step, result)`.

import type { Expr } from "./ast.ts";
import { formatCelValue } from "./format.ts";

const INFIX: Readonly<Record<string, string>> = {
  "_==_": "==",
  "_!=_": "!=",
  "_<_": "<",
  "_<=_": "<=",
  "_>_": ">",
  "_>=_": ">=",
  "@in": "in",
  "_+_": "+",
  "_-_": "-",
  "_*_": "*",
  "_/_": "/",
  "_%_": "%",
  "_&&_": "&&",
  "_||_": "||",
};

export function formatResidual(e: Expr): string {
  switch (e.kind) {
    case "literal":
      return typeof e.value === "string" ? JSON.stringify(e.value) : formatCelValue(e.value);
    case "ident":
      return e.name;
    case "select": {
      const s = `${formatResidual(e.operand)}.${e.optional ? "?" : ""}${e.field}`;
      return e.testOnly ? `has(${s})` : s;
    }
    case "call": {
      const args = e.args.map(formatResidual);
      const infix = INFIX[e.fn];
      if (infix !== undefined && e.target === undefined && args.length === 2)
        return `(${args[0]} ${infix} ${args[1]})`;
      if (e.fn === "!_") return `!${args[0]}`;
      if (e.fn === "-_") return `-${args[0]}`;
      if (e.fn === "_?_:_") return `(${args[0]} ? ${args[1]} : ${args[2]})`;
      if (e.fn === "_[_]") return `${args[0]}[${args[1]}]`;
      if (e.fn === "_[?_]") return `${args[0]}[?${args[1]}]`;
      const target = e.target === undefined ? "" : `${formatResidual(e.target)}.`;
      return `${target}${e.fn}(${args.join(", ")})`;
    }
    case "list":
      return `[${e.elements.map((x, i) => (e.optionalIndices.includes(i) ? "?" : "") + formatResidual(x)).join(", ")}]`;
    case "map":
      return `{${e.entries
        .map((x) => `${x.optional ? "?" : ""}${formatResidual(x.key)}: ${formatResidual(x.value)}`)
        .join(", ")}}`;
    case "struct":
      return `${e.typeName}{${e.fields.map((f) => `${f.name}: ${formatResidual(f.value)}`).join(", ")}}`;
    case "comprehension": {
      const vars = e.iterVar2 === undefined ? e.iterVar : `${e.iterVar}, ${e.iterVar2}`;
      return `compr(${vars}, ${[e.iterRange, e.accuInit, e.loopCondition, e.loopStep, e.result]
        .map(formatResidual)
        .join(", ")})`;
    }
  }
}
