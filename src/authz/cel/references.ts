// Finds the attribute paths an expression reads from declared variables (`V.x.y`,
// `variables["x"]`), which the compile stage uses to order and validate variables.

import type { Expr } from "./ast.ts";
import type { CheckResult } from "./checker.ts";

export function collectReferences(root: Expr, checked: CheckResult): string[][] {
  const seen = new Set<string>();
  const out: string[][] = [];
  const chainOf = (e: Expr): string[] | undefined => {
    const r = checked.resolutions.get(e.id);
    if (r !== undefined) return r.kind === "global" ? r.name.split(".") : undefined;
    if (e.kind === "select") {
      const base = chainOf(e.operand);
      return base === undefined ? undefined : [...base, e.field];
    }
    if (e.kind === "call" && (e.fn === "_[_]" || e.fn === "_[?_]")) {
      const key = e.args[1]!;
      if (key.kind !== "literal" || typeof key.value !== "string") return undefined;
      const base = chainOf(e.args[0]!);
      return base === undefined ? undefined : [...base, key.value];
    }
    return undefined;
  };
  const visit = (e: Expr): void => {
    const chain = chainOf(e);
    if (chain !== undefined) {
      const k = chain.join("\u0000");
      if (!seen.has(k)) {
        seen.add(k);
        out.push(chain);
      }
      return;
    }
    switch (e.kind) {
      case "select":
        visit(e.operand);
        break;
      case "call":
        if (e.target !== undefined) visit(e.target);
        e.args.forEach(visit);
        break;
      case "list":
        e.elements.forEach(visit);
        break;
      case "map":
        for (const en of e.entries) {
          visit(en.key);
          visit(en.value);
        }
        break;
      case "struct":
        for (const f of e.fields) visit(f.value);
        break;
      case "comprehension":
        visit(e.iterRange);
        visit(e.accuInit);
        visit(e.loopCondition);
        visit(e.loopStep);
        visit(e.result);
        break;
      default:
        break;
    }
  };
  visit(root);
  return out;
}
