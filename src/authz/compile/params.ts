// Constants and variables of a policy: imports resolved, redefinitions and bad names reported,
// variable expressions compiled, checked for undefined references and cycles, and ordered so
// each variable comes after the ones it reads. Variables that do not depend on the request
// (only on literals, constants and other such variables) are evaluated here, once: expressions
// read them, and constants, as literals. The rest is what the engine evaluates per check.

import { CelError, isReservedWord, type CelValue, type KnownValues } from "../cel/index.ts";
import type { ParsedPolicy } from "../policy/index.ts";
import type { Constants, JsonValue, Variables } from "../policy/model.ts";
import type { CompiledParams, CompiledVariable } from "./compiled-policy.ts";
import type { DiagnosticSink } from "./diagnostics.ts";
import { joinList, keyPath, locate } from "./diagnostics.ts";
import type { ExpressionCompiler } from "./expressions.ts";
import { describeIssues, referencesOf } from "./expressions.ts";

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/u;

/** Cerbos's complaint about a variable or constant name, or undefined when the name is fine. */
export function identifierProblem(name: string): string | undefined {
  if (isReservedWord(name))
    return `"${name}" is a reserved keyword and can't be used as an identifier`;
  if (!IDENTIFIER.test(name)) return `"${name}" is not a valid identifier`;
  return undefined;
}

export interface ExportedConstants {
  readonly parsed: ParsedPolicy;
  readonly name: string;
  readonly definitions: Readonly<Record<string, JsonValue>>;
}

export interface ExportedVariables {
  readonly parsed: ParsedPolicy;
  readonly name: string;
  readonly definitions: Readonly<Record<string, string>>;
}

export interface ParamsEnv {
  readonly sink: DiagnosticSink;
  readonly exprs: ExpressionCompiler;
  readonly exportedConstants: ReadonlyMap<string, ExportedConstants>;
  readonly exportedVariables: ReadonlyMap<string, ExportedVariables>;
  nextParamsId(): number;
}

interface VariableDef {
  readonly name: string;
  readonly source: string;
  readonly parsed: ParsedPolicy;
  readonly path: string;
  readonly variable?: CompiledVariable;
  readonly deps: readonly string[];
}

/** What the expressions of one params' users (conditions, outputs) read from `V`/`variables`. */
export interface VariableReads {
  /** Every variable named, folded or not (`V.x`, `has(V.x)`, ...). */
  readonly usedVariables: Iterable<string>;
  /** Variables still read from the bindings at run time. */
  readonly runtimeVariables: Iterable<string>;
  /** Whether `V` or `variables` itself is read at run time (`dyn(V)["x"]`). */
  readonly readsAllVariables: boolean;
}

const VARIABLE_ROOTS: readonly string[] = ["V", "variables"];
const CONSTANT_ROOTS: readonly string[] = ["C", "constants"];

/** The constants and variables visible to one policy's expressions, before pruning. */
export class ResolvedParams {
  readonly constants: Readonly<Record<string, JsonValue>>;
  /** Constants and folded variables by qualified name (`C.x`, `variables.y`). */
  readonly known: KnownValues;
  readonly #variables: ReadonlyMap<string, VariableDef>;
  readonly #folded: ReadonlyMap<string, CelValue>;
  readonly #env: ParamsEnv;
  readonly #cyclic: ReadonlySet<string>;

  constructor(
    env: ParamsEnv,
    constants: Readonly<Record<string, JsonValue>>,
    variables: ReadonlyMap<string, VariableDef>,
    cyclic: ReadonlySet<string>,
    folded: ReadonlyMap<string, CelValue>,
    known: KnownValues,
  ) {
    this.#env = env;
    this.constants = constants;
    this.#variables = variables;
    this.#cyclic = cyclic;
    this.#folded = folded;
    this.known = known;
  }

  hasVariable(name: string): boolean {
    return this.#variables.has(name);
  }

  hasConstant(name: string): boolean {
    return Object.hasOwn(this.constants, name);
  }

  /**
   * The params the engine needs for expressions that read `reads`: the variables they read and
   * everything those read, in dependency order, less the folded ones nothing reads at run time.
   */
  finalize(reads: VariableReads): CompiledParams {
    const ordered: CompiledVariable[] = [];
    const seen = new Set<string>();
    const visit = (name: string): void => {
      if (seen.has(name) || this.#cyclic.has(name)) return;
      seen.add(name);
      const def = this.#variables.get(name);
      if (!def) return;
      for (const d of def.deps) visit(d);
      if (def.variable) ordered.push(def.variable);
    };
    const wanted = new Set(reads.usedVariables);
    // Definition order keeps evaluation (and so error order) stable.
    for (const name of this.#variables.keys()) if (wanted.has(name)) visit(name);

    const folded: Record<string, CelValue> = {};
    for (const v of ordered) {
      const value = this.#folded.get(v.name);
      if (value !== undefined) folded[v.name] = value;
    }
    // A folded variable (it cannot fail) still goes to the engine when something reads it from
    // the bindings: `V` as a whole (it then sees exactly the variables it sees today), or by name.
    let readAll = reads.readsAllVariables;
    const readAtRuntime = new Set(reads.runtimeVariables);
    for (const v of ordered) {
      if (this.#folded.has(v.name)) continue;
      for (const chain of v.expr.program.runtimeReferences) {
        if (!VARIABLE_ROOTS.includes(chain[0]!)) continue;
        if (chain.length === 1) readAll = true;
        else readAtRuntime.add(chain[1]!);
      }
    }
    const variables = readAll
      ? ordered
      : ordered.filter((v) => !this.#folded.has(v.name) || readAtRuntime.has(v.name));
    return { id: this.#env.nextParamsId(), constants: this.constants, variables, folded };
  }
}

interface Definition {
  readonly label: string;
  readonly where: string;
}

/**
 * Resolves `constants`, `variables` and (for resource/principal policies) deprecated top-level
 * `variables` of a policy whose section lives at `base` (`$.resourcePolicy`).
 */
export function resolveParams(
  env: ParamsEnv,
  parsed: ParsedPolicy,
  base: string,
  constants: Constants | undefined,
  variables: Variables | undefined,
  topLevel: Readonly<Record<string, string>> | undefined,
): ResolvedParams {
  const { sink } = env;

  // ---- constants ----
  const constValues: Record<string, JsonValue> = {};
  const constDefs = new Map<string, Definition[]>();
  const addConst = (name: string, value: JsonValue, def: Definition): void => {
    const list = constDefs.get(name);
    if (list) list.push(def);
    else {
      constDefs.set(name, [def]);
      constValues[name] = value;
    }
  };
  (constants?.import ?? []).forEach((imp, i) => {
    const exp = env.exportedConstants.get(imp);
    if (!exp) {
      sink.at(
        parsed,
        `${base}.constants.import[${i}]`,
        "import not found",
        `Constants import '${imp}' cannot be found`,
      );
      return;
    }
    for (const [name, value] of Object.entries(exp.definitions)) {
      addConst(name, value, {
        label: `import '${imp}'`,
        where: locate(exp.parsed, keyPath("$.exportConstants.definitions", name)),
      });
    }
  });
  for (const [name, value] of Object.entries(constants?.local ?? {})) {
    const path = keyPath(`${base}.constants.local`, name);
    const problem = identifierProblem(name);
    if (problem) sink.at(parsed, path, "invalid constant name", problem);
    addConst(name, value, { label: "policy local constants", where: locate(parsed, path) });
  }
  for (const [name, defs] of constDefs) {
    if (defs.length > 1) {
      sink.file(
        parsed.file,
        "constant redefined",
        `Constant '${name}' has multiple definitions in ${joinList(defs.map((d) => `${d.label} (${d.where})`))}`,
      );
    }
  }

  // ---- variables ----
  interface Pending {
    readonly name: string;
    readonly source: string;
    readonly parsed: ParsedPolicy;
    readonly path: string;
  }
  const pending = new Map<string, Pending>();
  const varDefs = new Map<string, Definition[]>();
  const addVar = (p: Pending, label: string): void => {
    const def = { label, where: locate(p.parsed, p.path) };
    const list = varDefs.get(p.name);
    if (list) list.push(def);
    else {
      varDefs.set(p.name, [def]);
      pending.set(p.name, p);
    }
  };
  (variables?.import ?? []).forEach((imp, i) => {
    const exp = env.exportedVariables.get(imp);
    if (!exp) {
      sink.at(
        parsed,
        `${base}.variables.import[${i}]`,
        "import not found",
        `Variables import '${imp}' cannot be found`,
      );
      return;
    }
    for (const [name, source] of Object.entries(exp.definitions)) {
      addVar(
        { name, source, parsed: exp.parsed, path: keyPath("$.exportVariables.definitions", name) },
        `import '${imp}'`,
      );
    }
  });
  for (const [name, source] of Object.entries(variables?.local ?? {})) {
    const path = keyPath(`${base}.variables.local`, name);
    const problem = identifierProblem(name);
    if (problem) sink.at(parsed, path, "invalid variable name", problem);
    addVar({ name, source, parsed, path }, "policy local variables");
  }
  for (const [name, source] of Object.entries(topLevel ?? {})) {
    const path = keyPath("$.variables", name);
    addVar({ name, source, parsed, path }, "deprecated top-level policy variables");
  }
  for (const [name, defs] of varDefs) {
    if (defs.length > 1) {
      sink.file(
        parsed.file,
        "variable redefined",
        `Variable '${name}' has multiple definitions in ${joinList(defs.map((d) => `${d.label} (${d.where})`))}`,
      );
    }
  }

  const compiled = new Map<string, VariableDef>();
  for (const p of pending.values()) {
    const { program, issues } = env.exprs.compile(p.source);
    if (!program) {
      sink.atValue(p.parsed, p.path, "invalid expression", describeIssues(p.source, issues));
      compiled.set(p.name, { ...p, deps: [] });
      continue;
    }
    const refs = referencesOf(program);
    for (const v of refs.variables) {
      if (!pending.has(v)) {
        sink.atValue(
          p.parsed,
          p.path,
          "undefined variable",
          `Undefined variable '${v}' referenced in variable '${p.name}'`,
        );
      }
    }
    for (const c of refs.constants) {
      if (!constDefs.has(c)) {
        sink.atValue(
          p.parsed,
          p.path,
          "undefined constant",
          `Undefined constant '${c}' referenced in variable '${p.name}'`,
        );
      }
    }
    compiled.set(p.name, {
      ...p,
      variable: { name: p.name, expr: { source: p.source, program } },
      deps: refs.variables.filter((v) => pending.has(v)),
    });
  }

  const cyclic = reportCycles(sink, compiled);
  const { defs, folded, known } = foldVariables(env, constValues, compiled, cyclic);
  return new ResolvedParams(env, constValues, defs, cyclic, folded, known);
}

/**
 * Recompiles the variables with the constants known, deps first, and evaluates those that then
 * read nothing from the request (nor `G`, `runtime` or the clock): each one that evaluates
 * without error becomes known to the variables after it and to conditions. A variable that
 * fails is left to the engine, which reports its error per check as it always has.
 */
function foldVariables(
  env: ParamsEnv,
  constants: Readonly<Record<string, JsonValue>>,
  compiled: ReadonlyMap<string, VariableDef>,
  cyclic: ReadonlySet<string>,
): { defs: Map<string, VariableDef>; folded: Map<string, CelValue>; known: KnownValues } {
  const known = new Map<string, CelValue>();
  for (const name of Object.keys(constants)) {
    const value = constants[name] as CelValue;
    for (const root of CONSTANT_ROOTS) known.set(`${root}.${name}`, value);
  }
  const folded = new Map<string, CelValue>();
  const recompiled = new Map<string, VariableDef>();
  const visit = (name: string): void => {
    const def = compiled.get(name);
    if (def === undefined || recompiled.has(name)) return;
    recompiled.set(name, def);
    if (cyclic.has(name) || def.variable === undefined) return;
    for (const d of def.deps) visit(d);
    const { program } = env.exprs.compile(def.source, known);
    if (program === undefined) return;
    recompiled.set(name, { ...def, variable: { name, expr: { source: def.source, program } } });
    const value = program.constant;
    if (value === undefined || value instanceof CelError) return;
    folded.set(name, value);
    for (const root of VARIABLE_ROOTS) known.set(`${root}.${name}`, value);
  };
  for (const name of compiled.keys()) visit(name);
  // Definition order, as before.
  const defs = new Map<string, VariableDef>();
  for (const name of compiled.keys()) defs.set(name, recompiled.get(name) as VariableDef);
  return { defs, folded, known };
}

/** Tarjan's strongly connected components; every cycle is reported once at its first variable. */
function reportCycles(sink: DiagnosticSink, defs: ReadonlyMap<string, VariableDef>): Set<string> {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cyclic = new Set<string>();
  let counter = 0;
  const order = [...defs.keys()];

  const strong = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of defs.get(v)?.deps ?? []) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      const self = component.length === 1 && (defs.get(v)?.deps ?? []).includes(v);
      if (component.length > 1 || self) {
        component.sort((a, b) => order.indexOf(a) - order.indexOf(b));
        for (const c of component) cyclic.add(c);
        const first = defs.get(component[0] as string) as VariableDef;
        const description = self
          ? `Variable '${v}' references itself`
          : `Variables ${joinList(
              component.map((c) => {
                const d = defs.get(c) as VariableDef;
                return `'${c}' (${locate(d.parsed, d.path)})`;
              }),
            )} form a cycle`;
        sink.atValue(first.parsed, first.path, "cyclical variable definitions", description);
      }
    }
  };
  for (const v of order) if (!index.has(v)) strong(v);
  return cyclic;
}
