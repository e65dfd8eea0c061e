// The query planner's view of one rule or derived role condition: what is left of it once
// everything known about the request is evaluated (Cerbos's EvaluateCondition). `all`/`any`/`none`
// fold their constant parts away; each expression has its variables inlined, the effective
// derived roles replaced by a list built from their planned conditions, and is then partially
// evaluated with the resource's attributes (except those the request supplied) and id unknown.

import type { Expr } from "../cel/ast.ts";
import { cerbosEnvironment, cerbosRequestValues } from "../cel/cerbos/environment.ts";
import type { Environment } from "../cel/environment.ts";
import type { EvalContext } from "../cel/library.ts";
import {
  evaluatePartially,
  expandShorthands,
  isUnknown,
  mkCall,
  mkList,
  mkLiteral,
  plannerExpression,
  valueExpr,
  type PartialVariables,
  type UnknownPattern,
} from "../cel/residual.ts";
import { CelError, type CelValue } from "../cel/value.ts";
import type { CompiledCondition, CompiledParams } from "../compile/compiled-policy.ts";
import type { EvaluationError } from "../engine/types.ts";
import type { VariablesMap } from "../engine/variables-map.ts";
import { optionalInResidual, processUnknown } from "./condition-unknown.ts";
import { FALSE_NODE, TRUE_NODE, constBool, invertNode, type PlanNode } from "./plan-node.ts";
import type { PlanInput } from "./types.ts";

/**
 * Under strict evaluation, a condition that failed to evaluate: the rule then denies. With
 * `requestFailed` set, a failure Cerbos does not survive whatever the mode: it fails the whole
 * plan request (an internal error, gRPC code 13), e.g. an error evaluating a comprehension's body
 * with its variable unknown.
 */
export interface StrictFailure {
  readonly failure: string;
  readonly requestFailed?: true;
}

export interface PlannedDerivedRole {
  readonly name: string;
  readonly node: PlanNode;
}

export interface ConditionPlanContext {
  readonly input: PlanInput;
  /** The engine's globals (`G`, `globals`). */
  readonly globals: VariablesMap;
  /** Supplies `now()`. */
  readonly ctx: EvalContext;
  readonly strictEvaluation: boolean;
  /**
   * `runtime.effectiveDerivedRoles` of the scope being planned: derived roles whose parent roles
   * match, sorted by name, each with its planned condition. Called only by conditions that read it.
   */
  readonly derivedRoles: () => readonly PlannedDerivedRole[] | StrictFailure;
  /** Conditions that failed to evaluate are reported here, as checks report them. */
  readonly errors: EvaluationError[];
}

export function isStrictFailure(x: unknown): x is StrictFailure {
  return typeof x === "object" && x !== null && "failure" in x;
}

const UNKNOWN_PATTERNS: readonly UnknownPattern[] = [
  { variable: "R", fields: [] },
  { variable: "request", fields: ["resource"] },
];

/** What the planner knows of a request: built once per PlanInput and params. */
const knownCache = new WeakMap<PlanInput, Map<string, CelValue>>();

function requestKnowns(input: PlanInput): Map<string, CelValue> {
  let known = knownCache.get(input);
  if (known !== undefined) return known;
  const p = input.principal;
  const r = input.resource;
  const { request, P } = cerbosRequestValues(
    {
      id: p.id,
      roles: p.roles,
      ...(p.attr ? { attr: p.attr } : {}),
      ...(p.scope ? { scope: p.scope } : {}),
    },
    {
      kind: r.kind,
      id: "",
      ...(r.attr ? { attr: r.attr } : {}),
      ...(r.scope ? { scope: r.scope } : {}),
    },
    input.auxData,
  );
  known = new Map<string, CelValue>([
    ["request", request],
    ["P", P],
  ]);
  for (const [name, value] of Object.entries(r.attr ?? {})) {
    known.set(`R.attr.${name}`, value);
    known.set(`request.resource.attr.${name}`, value);
  }
  for (const root of ["R", "request.resource"]) {
    known.set(`${root}.kind`, r.kind);
    known.set(`${root}.scope`, r.scope ?? "");
  }
  for (const root of ["P", "request.principal"]) known.set(`${root}.scope`, p.scope ?? "");
  knownCache.set(input, known);
  return known;
}

const variablesCache = new WeakMap<
  ConditionPlanContext,
  Map<CompiledParams | undefined, PartialVariables>
>();

/** What a condition under `params` knows, built once per context and params. */
function partialVariables(
  context: ConditionPlanContext,
  params: CompiledParams | undefined,
): PartialVariables {
  let byParams = variablesCache.get(context);
  if (byParams === undefined) {
    byParams = new Map<CompiledParams | undefined, PartialVariables>();
    variablesCache.set(context, byParams);
  }
  let vars = byParams.get(params);
  if (vars === undefined) byParams.set(params, (vars = buildPartialVariables(context, params)));
  return vars;
}

function buildPartialVariables(
  context: ConditionPlanContext,
  params: CompiledParams | undefined,
): PartialVariables {
  const known = new Map(requestKnowns(context.input));
  known.set("G", context.globals);
  known.set("globals", context.globals);
  const constants = (params?.constants ?? {}) as CelValue;
  known.set("C", constants);
  known.set("constants", constants);
  return { known, unknowns: UNKNOWN_PATTERNS, ctx: context.ctx };
}

// ---- variables ------------------------------------------------------------------------------

const variableCache = new WeakMap<CompiledParams, ReadonlyMap<string, Expr>>();

/** Each variable's expression with the variables it reads inlined (Cerbos's VariableExprs). */
function variableExprs(params: CompiledParams | undefined): ReadonlyMap<string, Expr> {
  if (params === undefined) return new Map();
  const cached = variableCache.get(params);
  if (cached !== undefined) return cached;
  const exprs = new Map<string, Expr>();
  for (const [name, value] of Object.entries(params.folded)) {
    const e = valueExpr(value);
    if (e !== undefined) exprs.set(name, e);
  }
  for (const v of params.variables) {
    if (exprs.has(v.name)) continue;
    const e = plannerExpression(v.expr.source);
    if (e !== undefined) exprs.set(v.name, replaceVariables(e, exprs));
  }
  variableCache.set(params, exprs);
  return exprs;
}

/**
 * Rewrites every `V.x`/`variables.x` with x's expression and, when `derivedRoles` is given, every
 * `runtime.effectiveDerivedRoles` with the list it stands for.
 */
function replaceVariables(
  e: Expr,
  vars: ReadonlyMap<string, Expr>,
  derivedRoles?: () => Expr | StrictFailure,
  failure?: { value?: StrictFailure },
): Expr {
  const r = (x: Expr): Expr => replaceVariables(x, vars, derivedRoles, failure);
  switch (e.kind) {
    case "select": {
      const op = e.operand;
      // Presence tests too: Cerbos swaps the whole select, so `has(V.x)` reads as `V.x`.
      if (op.kind === "ident") {
        if (op.name === "V" || op.name === "variables") {
          const v = vars.get(e.field);
          if (v !== undefined) return v;
        }
        if (
          derivedRoles !== undefined &&
          op.name === "runtime" &&
          (e.field === "effectiveDerivedRoles" || e.field === "effective_derived_roles")
        ) {
          const list = derivedRoles();
          if ("failure" in list && failure !== undefined) {
            failure.value = list;
            return e;
          }
          return list as Expr;
        }
      }
      return { ...e, operand: r(e.operand) };
    }
    case "call":
      return {
        ...e,
        target: e.target === undefined ? undefined : r(e.target),
        args: e.args.map(r),
      };
    case "list":
      return { ...e, elements: e.elements.map(r) };
    case "map":
      return {
        ...e,
        entries: e.entries.map((en) => ({ ...en, key: r(en.key), value: r(en.value) })),
      };
    case "struct":
      return { ...e, fields: e.fields.map((f) => ({ ...f, value: r(f.value) })) };
    case "comprehension":
      // Cerbos leaves the result alone (it is the accumulator in every macro).
      return {
        ...e,
        iterRange: r(e.iterRange),
        accuInit: r(e.accuInit),
        loopCondition: r(e.loopCondition),
        loopStep: r(e.loopStep),
      };
    default:
      return e;
  }
}

const NO_VARIABLES: ReadonlyMap<string, Expr> = new Map();

// ---- derived roles --------------------------------------------------------------------------

/** A plan node as a CEL expression: `!`, and right-nested `&&` and `||`. */
function nodeExpr(node: PlanNode): Expr {
  if (node.kind === "expr") return node.expr;
  if (node.kind === "not") return mkCall("!_", [nodeExpr(node.nodes[0]!)]);
  const fn = node.kind === "and" ? "_&&_" : "_||_";
  const args = node.nodes.map(nodeExpr);
  const nest = (i: number): Expr =>
    i === args.length - 1 ? args[i]! : mkCall(fn, [args[i]!, nest(i + 1)]);
  return nest(0);
}

/** `runtime.effectiveDerivedRoles` as Cerbos plans it: `(c1 ? ["r1"] : []) + (c2 ? ...)`. */
function derivedRolesExpr(roles: readonly PlannedDerivedRole[]): Expr {
  const element = (dr: PlannedDerivedRole): Expr =>
    mkCall("_?_:_", [nodeExpr(dr.node), mkList([mkLiteral(dr.name)]), mkList([])]);
  if (roles.length === 0) return mkList([]);
  const nest = (i: number): Expr =>
    i === roles.length - 1 ? element(roles[i]!) : mkCall("_+_", [element(roles[i]!), nest(i + 1)]);
  return nest(0);
}

// ---- conditions -----------------------------------------------------------------------------

let environment: Environment | undefined;
function env(): Environment {
  environment ??= cerbosEnvironment().env;
  return environment;
}

/** The planned form of a condition; TRUE_NODE when there is none. */
export function planCondition(
  condition: CompiledCondition | undefined,
  params: CompiledParams | undefined,
  context: ConditionPlanContext,
): PlanNode | StrictFailure {
  if (condition === undefined) return TRUE_NODE;
  if (condition.op === "expr") return planExpression(condition.expr.source, params, context);
  const nodes: PlanNode[] = [];
  for (const c of condition.of) {
    const node = planCondition(c, params, context);
    if (isStrictFailure(node)) return node;
    const b = constBool(node);
    switch (condition.op) {
      case "any":
        if (b === true) return TRUE_NODE;
        if (b === undefined) nodes.push(node);
        break;
      case "all":
        if (b === false) return FALSE_NODE;
        if (b === undefined) nodes.push(node);
        break;
      case "none":
        if (b === true) return FALSE_NODE;
        if (b === undefined) nodes.push(invertNode(node));
        break;
    }
  }
  if (nodes.length === 0) return condition.op === "any" ? FALSE_NODE : TRUE_NODE;
  if (nodes.length === 1) return nodes[0]!;
  return { kind: condition.op === "any" ? "or" : "and", nodes };
}

function planExpression(
  source: string,
  params: CompiledParams | undefined,
  context: ConditionPlanContext,
): PlanNode | StrictFailure {
  const parsed = plannerExpression(source);
  if (parsed === undefined) return FALSE_NODE;
  let derived: Expr | StrictFailure | undefined;
  const derivedRoles = (): Expr | StrictFailure => {
    if (derived === undefined) {
      const roles = context.derivedRoles();
      derived = isStrictFailure(roles) ? roles : derivedRolesExpr(roles);
    }
    return derived;
  };
  const failure: { value?: StrictFailure } = {};
  const withVariables = replaceVariables(parsed, variableExprs(params));
  const e = replaceVariables(withVariables, NO_VARIABLES, derivedRoles, failure);
  if (failure.value !== undefined) return failure.value;
  const vars = partialVariables(context, params);
  const { value, residual } = evaluatePartially(env(), e, vars);
  if (value instanceof CelError) {
    context.errors.push({ celError: { expression: source, message: value.message } });
    if (context.strictEvaluation)
      return { failure: `error evaluating expression ${JSON.stringify(source)}: ${value.message}` };
    return FALSE_NODE;
  }
  if (isUnknown(value)) {
    const processed = processUnknown(env(), residual, vars);
    if ("planError" in processed) return { failure: processed.planError, requestFailed: true };
    const optional = optionalInResidual(env(), processed);
    if (optional !== undefined) return { failure: optional, requestFailed: true };
    return { kind: "expr", expr: expandShorthands(processed) };
  }
  if (typeof value === "boolean") return value ? TRUE_NODE : FALSE_NODE;
  return FALSE_NODE;
}
