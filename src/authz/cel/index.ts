// The public face of Gatehouse's CEL: build an environment once, compile expressions once
// (parse, check, compile to closures), evaluate many times. Nothing outside src/authz/cel/
// sees the parser, checker or evaluator.

import { checkExpression } from "./checker.ts";
import { foldEmptyMembership } from "./empty-membership.ts";
import { buildEnvironment, type Environment } from "./environment.ts";
import type { Evaluator } from "./dispatch.ts";
import { compileProgram, type KnownValues } from "./evaluator.ts";
import type { BindingReader, CelLibrary, EvalContext, MessageDecl, PathReader } from "./library.ts";
import { parseCel } from "./parser.ts";
export { isReservedWord } from "./parser.ts";
import { collectReferences } from "./references.ts";
import { standardLibrary } from "./std/standard-library.ts";
import type { CelType } from "./types.ts";
import { CelError, type CelResult, type CelValue } from "./value.ts";

export { formatCelValue, toJsonValue } from "./format.ts";
export type { KnownValues } from "./evaluator.ts";
export { T, type CelType } from "./types.ts";
export type {
  BindingReader,
  CelLibrary,
  EvalContext,
  FunctionDecl,
  MessageDecl,
  Overload,
  PathEvaluator,
  PathReader,
} from "./library.ts";
export {
  CelDuration,
  CelError,
  CelOptional,
  CelTimestamp,
  CelTypeValue,
  CelUint,
  isCelError,
  type CelMapKey,
  type CelMapLike,
  type CelMapValue,
  type CelOpaqueValue,
  type CelResult,
  type CelValue,
} from "./value.ts";
// Helpers that function libraries (src/authz/cel/lib, src/authz/cel/cerbos) build on.
export { celEquals, celCompare } from "./equality.ts";
export {
  isCelMap,
  isCelMapLike,
  mapEntries,
  mapGet,
  mapHas,
  mapKeys,
  mapSize,
  runtimeTypeName,
} from "./maps.ts";
export { compileRegex } from "./regex.ts";
export {
  formatDuration,
  formatTimestamp,
  parseDurationLiteral,
  parseTimestampLiteral,
} from "./time.ts";
export { formatType } from "./type-rules.ts";

export interface CelEnvironmentOptions {
  variables: Readonly<Record<string, CelType>>;
  /** In addition to the standard library. */
  libraries?: readonly CelLibrary[];
  messages?: readonly MessageDecl[];
  /** Optional fast reads of variables from the bindings, by variable name. */
  bindingReaders?: Readonly<Record<string, BindingReader>>;
  /** Read `x in []` as false whatever `x` is, errors included, as Cerbos does. */
  emptyMembershipIsFalse?: boolean;
  /** Optional direct reads of whole select chains over the host objects (`R.attr.owner`). */
  pathReader?: PathReader;
}

export interface CelEnvironment {
  /** @internal */
  readonly env: Environment;
}

export function createEnvironment(opts: CelEnvironmentOptions): CelEnvironment {
  return {
    env: buildEnvironment(
      opts.variables,
      [standardLibrary, ...(opts.libraries ?? [])],
      opts.messages ?? [],
      opts.bindingReaders,
      opts.emptyMembershipIsFalse,
      opts.pathReader,
    ),
  };
}

/** 1-based, within the expression. */
export interface CelIssue {
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

export interface CompiledExpression {
  readonly source: string;
  readonly resultType: CelType;
  /** Every select chain rooted at a declared identifier, e.g. `V.x.y` -> ["V","x","y"]; `variables["x"]` -> ["variables","x"]. */
  readonly references: readonly (readonly string[])[];
  /** The chains of `references` still read from the bindings: those not known at compile time. */
  readonly runtimeReferences: readonly (readonly string[])[];
  /**
   * The value, when the expression read only literals and known values and so folded whole at
   * compile time: `evaluate` returns it whatever the bindings.
   */
  readonly constant?: CelResult;
  /** Never throws for user errors: they come back as CelError values. */
  evaluate(bindings: Readonly<Record<string, CelValue>>, ctx?: EvalContext): CelResult;
}

const NO_SLOTS: CelResult[] = [];

/** 1-based line and column (in code points) of a UTF-16 offset. */
function position(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < source.length; i++) {
    if (source[i] === "\n") {
      line++;
      start = i + 1;
    }
  }
  return { line, column: [...source.slice(start, offset)].length + 1 };
}

export interface CompileOptions {
  /**
   * Values of fields of declared variables fixed before evaluation, by qualified name
   * (`C.minLevel`): their reads become literals and subtrees over them fold. Fields not listed
   * are read from the bindings.
   */
  readonly known?: KnownValues;
}

export function compileExpression(
  env: CelEnvironment,
  source: string,
  options: CompileOptions = {},
): { readonly expression?: CompiledExpression; readonly issues: readonly CelIssue[] } {
  const toIssue = (i: { message: string; offset: number }): CelIssue => ({
    message: i.message,
    ...position(source, i.offset),
  });
  const parsed = parseCel(source);
  if (parsed.expr === undefined) return { issues: parsed.issues.map(toIssue) };
  const expr = env.env.emptyMembershipIsFalse ? foldEmptyMembership(parsed.expr) : parsed.expr;
  const checked = checkExpression(env.env, expr);
  if (checked.issues.length > 0) {
    // Macro expansion can visit one source node twice (optMap); report each problem once.
    const seen = new Set<string>();
    const issues = [...checked.issues]
      .sort((a, b) => a.offset - b.offset)
      .filter(
        (i) =>
          !seen.has(`${i.offset}:${i.message}`) &&
          seen.add(`${i.offset}:${i.message}`) !== undefined,
      )
      .map(toIssue);
    return { issues };
  }
  const known = options.known;
  const program = compileProgram(expr, checked, known, env.env.bindingReaders, env.env.pathReader);
  const run = program.run;
  const slots = program.slots;
  const references = collectReferences(expr, checked);
  // A chain is read from the bindings unless its first field is known: the compiler replaces
  // every read of such a field (`C.x`, `has(C.x)`, `C.?x`, `C["x"]`).
  const runtimeReferences =
    known === undefined || known.size === 0
      ? references
      : references.filter((chain) => chain.length < 2 || !known.has(`${chain[0]}.${chain[1]}`));
  const common = { source, resultType: checked.resultType, references, runtimeReferences };
  if (Object.hasOwn(program, "constant"))
    return {
      expression: new ConstantExpression(common, program.constant as CelResult),
      issues: [],
    };
  return { expression: new ProgramExpression(common, run, slots), issues: [] };
}

interface ExpressionFacts {
  readonly source: string;
  readonly resultType: CelType;
  readonly references: readonly (readonly string[])[];
  readonly runtimeReferences: readonly (readonly string[])[];
}

/**
 * A compiled expression. A class, so that every expression's `evaluate` is the one method:
 * the engine's call sites then stay monomorphic and inline it, where a closure per expression
 * would make them megamorphic.
 */
class ProgramExpression implements CompiledExpression {
  readonly source: string;
  readonly resultType: CelType;
  readonly references: readonly (readonly string[])[];
  readonly runtimeReferences: readonly (readonly string[])[];
  readonly #run: Evaluator;
  readonly #slots: number;

  constructor(facts: ExpressionFacts, run: Evaluator, slots: number) {
    this.source = facts.source;
    this.resultType = facts.resultType;
    this.references = facts.references;
    this.runtimeReferences = facts.runtimeReferences;
    this.#run = run;
    this.#slots = slots;
  }

  evaluate(bindings: Readonly<Record<string, CelValue>>, ctx?: EvalContext): CelResult {
    try {
      return this.#run(
        bindings,
        this.#slots === 0 ? NO_SLOTS : new Array<CelResult>(this.#slots),
        ctx,
      );
    } catch (e) {
      // Only bugs or exhausted resources land here; keep the request path exception-free.
      return new CelError(e instanceof Error ? e.message : String(e));
    }
  }
}

/** An expression that folded whole at compile time: the same value whatever the bindings. */
class ConstantExpression implements CompiledExpression {
  readonly source: string;
  readonly resultType: CelType;
  readonly references: readonly (readonly string[])[];
  readonly runtimeReferences: readonly (readonly string[])[];
  readonly constant: CelResult;

  constructor(facts: ExpressionFacts, constant: CelResult) {
    this.source = facts.source;
    this.resultType = facts.resultType;
    this.references = facts.references;
    this.runtimeReferences = facts.runtimeReferences;
    this.constant = constant;
  }

  evaluate(): CelResult {
    return this.constant;
  }
}
