// Compiles rule and derived role conditions (`match` trees of `expr`/`all`/`any`/`none`) and
// rule outputs, checking that every variable and constant they read is defined. Constants and
// variables known at load are read as literals; parts of `all`/`any`/`none` that folded to a
// value that decides nothing are dropped.

import { CelError, type KnownValues } from "../cel/index.ts";
import type { ParsedPolicy } from "../policy/index.ts";
import type { Condition, Match, Output } from "../policy/model.ts";
import type { CompiledCondition, CompiledExpr, CompiledOutput } from "./compiled-policy.ts";
import type { DiagnosticSink } from "./diagnostics.ts";
import { describeIssues, type ExpressionCompiler, referencesOf } from "./expressions.ts";
import type { VariableReads } from "./params.ts";

/** What an expression may read, and the values known at load. */
export interface Scope {
  hasVariable(name: string): boolean;
  hasConstant(name: string): boolean;
  /** Constants and folded variables by qualified name (`C.x`, `V.y`). */
  readonly known: KnownValues;
}

export class ConditionCompiler implements VariableReads {
  readonly #sink: DiagnosticSink;
  readonly #exprs: ExpressionCompiler;
  readonly #parsed: ParsedPolicy;
  readonly #scope: Scope;
  /** Variables read by the compiled conditions and outputs, in first-use order. */
  readonly usedVariables = new Set<string>();
  /** Those of `usedVariables` the compiled programs still read from the bindings. */
  readonly runtimeVariables = new Set<string>();
  /** Whether a compiled program reads `V` or `variables` as a whole. */
  readsAllVariables = false;

  constructor(sink: DiagnosticSink, exprs: ExpressionCompiler, parsed: ParsedPolicy, scope: Scope) {
    this.#sink = sink;
    this.#exprs = exprs;
    this.#parsed = parsed;
    this.#scope = scope;
  }

  expression(source: string, path: string): CompiledExpr | undefined {
    const { program, issues } = this.#exprs.compile(source, this.#scope.known);
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
    for (const [root, name] of program.runtimeReferences) {
      if (root !== "V" && root !== "variables") continue;
      if (name === undefined) this.readsAllVariables = true;
      else this.runtimeVariables.add(name);
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
      return { op, of: simplify(op, of) };
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

/**
 * The operands of `all`/`any`/`none` the engine needs: it evaluates them in order and stops at
 * the first false (`all`) or true (`any`, `none`) one. A constant that does not stop the loop
 * changes nothing and goes; one that does stop it ends the list. Constants that are errors
 * stay: the engine reports them per check.
 */
function simplify(
  op: "all" | "any" | "none",
  of: readonly CompiledCondition[],
): CompiledCondition[] {
  const stopsOn = op !== "all";
  const out: CompiledCondition[] = [];
  for (const c of of) {
    const k = constantOf(c);
    if (k === undefined) out.push(c);
    else if (k === stopsOn) {
      out.push(c);
      break;
    }
  }
  return out;
}

/**
 * What a condition always evaluates to, without error and whatever the request (undefined when
 * that is not known at load): a non-boolean value counts as false, as in the engine.
 */
function constantOf(c: CompiledCondition): boolean | undefined {
  if (c.op === "expr") {
    const k = c.expr.program.constant;
    return k === undefined || k instanceof CelError ? undefined : k === true;
  }
  // After `simplify`, an operand list decides its value at load only when empty or a single constant.
  if (c.of.length === 0) return c.op !== "any";
  if (c.of.length > 1) return undefined;
  const k = constantOf(c.of[0] as CompiledCondition);
  return k === undefined || c.op !== "none" ? k : !k;
}

/** An expression that is there: YAML `expr:` with nothing after it counts as missing. */
function present(text: string | null | undefined): string | undefined {
  return typeof text === "string" && text.trim() !== "" ? text : undefined;
}
