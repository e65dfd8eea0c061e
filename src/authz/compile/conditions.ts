// Compiles rule and derived role conditions (`match` trees of `expr`/`all`/`any`/`none`) and
// rule outputs, checking that every variable and constant they read is defined.

import type { ParsedPolicy } from "../policy/index.ts";
import type { Condition, Match, Output } from "../policy/model.ts";
import type { CompiledCondition, CompiledExpr, CompiledOutput } from "./compiled-policy.ts";
import type { DiagnosticSink } from "./diagnostics.ts";
import { describeIssues, type ExpressionCompiler, referencesOf } from "./expressions.ts";

/** What an expression may read, and a record of the variables it did read. */
export interface Scope {
  hasVariable(name: string): boolean;
  hasConstant(name: string): boolean;
}

export class ConditionCompiler {
  readonly #sink: DiagnosticSink;
  readonly #exprs: ExpressionCompiler;
  readonly #parsed: ParsedPolicy;
  readonly #scope: Scope;
  /** Variables read by the compiled conditions and outputs, in first-use order. */
  readonly usedVariables = new Set<string>();

  constructor(sink: DiagnosticSink, exprs: ExpressionCompiler, parsed: ParsedPolicy, scope: Scope) {
    this.#sink = sink;
    this.#exprs = exprs;
    this.#parsed = parsed;
    this.#scope = scope;
  }

  expression(source: string, path: string): CompiledExpr | undefined {
    const { program, issues } = this.#exprs.compile(source);
    if (!program) {
      this.#sink.at(this.#parsed, path, "invalid expression", describeIssues(source, issues));
      return undefined;
    }
    const refs = referencesOf(program);
    for (const v of refs.variables) {
      if (this.#scope.hasVariable(v)) this.usedVariables.add(v);
      else this.#sink.at(this.#parsed, path, "undefined variable", `Undefined variable '${v}'`);
    }
    for (const c of refs.constants) {
      if (!this.#scope.hasConstant(c))
        this.#sink.at(this.#parsed, path, "undefined constant", `Undefined constant '${c}'`);
    }
    return { source, program };
  }

  /** Undefined when there is no condition (or it failed to compile; a diagnostic says so). */
  condition(cond: Condition | undefined, path: string): CompiledCondition | undefined {
    if (!cond) return undefined;
    if (cond.script !== undefined) {
      this.#sink.at(
        this.#parsed,
        path,
        "scripts in conditions are no longer supported",
        "Unsupported feature",
      );
      return undefined;
    }
    if (!cond.match) return undefined;
    return this.#match(cond.match, `${path}.match`);
  }

  #match(m: Match, path: string): CompiledCondition | undefined {
    if (m.expr !== undefined) {
      const expr = this.expression(m.expr, `${path}.expr`);
      return expr ? { op: "expr", expr } : undefined;
    }
    for (const op of ["all", "any", "none"] as const) {
      const list = m[op];
      if (!list) continue;
      const of: CompiledCondition[] = [];
      list.of.forEach((sub, i) => {
        const c = this.#match(sub, `${path}.${op}.of[${i}]`);
        if (c) of.push(c);
      });
      return { op, of };
    }
    return undefined;
  }

  /** `when` wins over the deprecated `expr`, which then means "when the rule activates". */
  output(output: Output | undefined, path: string): CompiledOutput | undefined {
    if (!output) return undefined;
    if (output.when) {
      const ra = present(output.when.ruleActivated);
      const cnm = present(output.when.conditionNotMet);
      if (ra === undefined && cnm === undefined) {
        this.#sink.at(
          this.#parsed,
          path,
          "empty output",
          "output must have at least one expression",
        );
        return undefined;
      }
      const ruleActivated =
        ra !== undefined ? this.expression(ra, `${path}.when.ruleActivated`) : undefined;
      const conditionNotMet =
        cnm !== undefined ? this.expression(cnm, `${path}.when.conditionNotMet`) : undefined;
      return {
        ...(ruleActivated ? { ruleActivated } : {}),
        ...(conditionNotMet ? { conditionNotMet } : {}),
      };
    }
    const expr = present(output.expr);
    if (expr !== undefined) {
      const ruleActivated = this.expression(expr, `${path}.expr`);
      return ruleActivated ? { ruleActivated } : undefined;
    }
    this.#sink.at(this.#parsed, path, "empty output", "output must have at least one expression");
    return undefined;
  }
}

/** An expression that is there: YAML `expr:` with nothing after it counts as missing. */
function present(text: string | null | undefined): string | undefined {
  return typeof text === "string" && text.trim() !== "" ? text : undefined;
}
