// Compiles policy expressions with the Cerbos CEL environment, once per distinct text (10,000
// policies often share a handful of expressions), and reads which variables and constants an
// expression refers to so the compiler can order and check them.

import { compileExpression, type CelIssue, type CompiledExpression } from "../cel/index.ts";
import { cerbosEnvironment } from "../cel/cerbos/index.ts";

export interface ExpressionResult {
  readonly program?: CompiledExpression;
  readonly issues: readonly CelIssue[];
}

export interface ExpressionRefs {
  /** Names read through `V.x` / `variables.x`. */
  readonly variables: readonly string[];
  /** Names read through `C.x` / `constants.x`. */
  readonly constants: readonly string[];
}

export class ExpressionCompiler {
  readonly #cache = new Map<string, ExpressionResult>();

  compile(source: string): ExpressionResult {
    let r = this.#cache.get(source);
    if (r === undefined) {
      const { expression, issues } = compileExpression(cerbosEnvironment(), source);
      r = expression ? { program: expression, issues } : { issues };
      this.#cache.set(source, r);
    }
    return r;
  }
}

export function referencesOf(program: CompiledExpression): ExpressionRefs {
  const variables: string[] = [];
  const constants: string[] = [];
  for (const chain of program.references) {
    const [root, name] = chain;
    if (name === undefined) continue;
    if (root === "V" || root === "variables") {
      if (!variables.includes(name)) variables.push(name);
    } else if (root === "C" || root === "constants") {
      if (!constants.includes(name)) constants.push(name);
    }
  }
  return { variables, constants };
}

/** Cerbos's rendering of CEL issues: `Invalid expression `src`: [msg, msg]`. */
export function describeIssues(source: string, issues: readonly CelIssue[]): string {
  return `Invalid expression \`${source}\`: [${issues.map((i) => i.message).join(", ")}]`;
}
