// A grammar of Cerbos-style CEL over the generated attribute vocabulary (see attribute-vocabulary
// in request-generator.ts): boolean conditions for rules and derived roles, value expressions for
// outputs and variables. The atoms are the shapes real policies use, plus a few that are meant to
// fail at run time (division by zero, index out of range, wrong types) so evaluation errors are
// compared too. Every expression must type-check in Cerbos: the generator only names variables and
// constants the enclosing policy defines.

import type { RandomChoice } from "./random-choice.ts";

export type ConstantKind = "int" | "string" | "list";

export interface ExprScope {
  /** Boolean variables visible as `V.name`. */
  readonly boolVars: readonly string[];
  /** Constants visible as `C.name`, by the kind of value they hold. */
  readonly constants: Readonly<Record<string, ConstantKind>>;
  /** Only resource-policy rules may look at `runtime.effectiveDerivedRoles`. */
  readonly runtime: boolean;
  readonly derivedRoleNames: readonly string[];
  /** Whether requests carry `auxData.jwt` claims. */
  readonly jwt: boolean;
  readonly principalIds: readonly string[];
}

const quote = (s: string): string => JSON.stringify(s);

function constantsOf(scope: ExprScope, kind: ConstantKind): string[] {
  return Object.entries(scope.constants)
    .filter(([, k]) => k === kind)
    .map(([n]) => n);
}

/** One boolean atom. */
export function boolAtom(r: RandomChoice, scope: ExprScope): string {
  const atoms: (() => string)[] = [
    () =>
      r.oneOf([
        "R.attr.owner == request.principal.id",
        "R.attr.owner == P.id",
        `R.attr.owner == ${quote(r.oneOf(scope.principalIds))}`,
      ]),
    () => "P.attr.department == R.attr.department",
    () =>
      r.oneOf([
        `R.attr.status == "draft"`,
        `R.attr.status in ["draft", "published"]`,
        `R.attr.status != "archived"`,
      ]),
    () => `R.attr.size ${r.oneOf([">", ">=", "<", "<=", "=="])} ${r.int(0, 60)}`,
    () => `P.attr.level ${r.oneOf([">", ">=", "<", "=="])} ${r.int(0, 5)}`,
    () => r.oneOf(["R.attr.public", "!R.attr.public", "R.attr.public == true", "P.attr.active"]),
    () => `${quote(r.oneOf(["a", "b", "c"]))} in P.attr.tags`,
    () =>
      r.oneOf([
        "has(R.attr.owner)",
        "has(P.attr.manager)",
        "!has(R.attr.nested)",
        "has(R.attr.nested.a)",
      ]),
    () => `size(R.attr.labels) ${r.oneOf([">", "=="])} ${r.int(0, 2)}`,
    () =>
      r.oneOf([
        `P.attr.tags.exists(t, t == "b")`,
        `R.attr.labels.all(l, l.startsWith("a"))`,
        `R.attr.labels.exists_one(l, l == "c")`,
      ]),
    () =>
      r.oneOf([
        "hasIntersection(P.attr.tags, R.attr.labels)",
        "P.attr.tags.hasIntersection(R.attr.labels)",
        "R.attr.labels.isSubset(P.attr.tags)",
        "size(intersect(P.attr.tags, R.attr.labels)) > 0",
      ]),
    () =>
      r.oneOf(["P.attr.score > R.attr.size", "P.attr.score >= 2", "P.attr.level < P.attr.score"]),
    () => r.oneOf(["R.attr.nested.a.b == 1", "R.attr.?nested.?a.?b.orValue(0) > 0"]),
    () =>
      r.oneOf([
        `request.resource.id.startsWith("d")`,
        `request.resource.id.endsWith("2")`,
        `R.id == "d1"`,
      ]),
    () => r.oneOf([`G.env == "prod"`, "G.tier > 1"]),
    () =>
      r.oneOf([
        `timestamp(R.attr.created) < now()`,
        `timestamp(R.attr.created) > timestamp("2021-01-01T00:00:00Z")`,
        `timestamp(R.attr.created).getFullYear() == 2020`,
      ]),
    () =>
      r.oneOf([
        `"admin" in P.roles`,
        `request.principal.roles.exists(x, x == "manager")`,
        "size(P.roles) > 1",
      ]),
    () => r.oneOf([`R.attr.department.matches("^e")`, `P.attr.department.contains("a")`]),
    () =>
      r.oneOf([
        "cel.bind(x, R.attr.size, x > 5 && x < 50)",
        "R.attr.size / P.attr.level > 3",
        "R.attr.size % 2 == 0",
      ]),
    () => r.oneOf([`R.attr.labels[0] == "a"`, `P.attr.tags[1] == "b"`]),
    () =>
      r.oneOf([
        `P.attr.department + "-" + R.attr.status == "eng-draft"`,
        `string(R.attr.size) == "10"`,
      ]),
    () =>
      r.oneOf([
        `R.attr.labels.filter(l, l != "a").size() > 0`,
        `R.attr.labels.map(l, l + "x").exists(l, l == "ax")`,
      ]),
    () => r.oneOf(["R.attr.public ? P.attr.active : P.attr.level > 2", "P.attr.score * 2.0 > 3.0"]),
    () =>
      r.oneOf([
        `request.principal.scope == ""`,
        `R.scope.startsWith("s")`,
        `request.resource.policyVersion == "default"`,
      ]),
  ];
  if (scope.boolVars.length > 0)
    atoms.push(
      () => `V.${r.oneOf(scope.boolVars)}`,
      () => `variables.${r.oneOf(scope.boolVars)}`,
    );
  const ints = constantsOf(scope, "int");
  const strings = constantsOf(scope, "string");
  const lists = constantsOf(scope, "list");
  if (ints.length > 0) atoms.push(() => `R.attr.size <= C.${r.oneOf(ints)}`);
  if (strings.length > 0) atoms.push(() => `P.attr.department == constants.${r.oneOf(strings)}`);
  if (lists.length > 0) atoms.push(() => `R.attr.status in C.${r.oneOf(lists)}`);
  if (scope.runtime && scope.derivedRoleNames.length > 0) {
    atoms.push(() => `${quote(r.oneOf(scope.derivedRoleNames))} in runtime.effectiveDerivedRoles`);
  }
  if (scope.jwt) {
    atoms.push(() =>
      r.oneOf([
        "request.auxData.jwt.sub == P.id",
        `"admins" in request.auxData.jwt.groups`,
        "request.auxData.jwt.level > 1",
      ]),
    );
  }
  return r.oneOf(atoms)();
}

/** A boolean expression of up to `depth` levels of `&&`, `||` and `!` over atoms. */
export function boolExpr(r: RandomChoice, scope: ExprScope, depth = 2): string {
  if (depth <= 0 || r.chance(0.55)) return boolAtom(r, scope);
  switch (r.int(0, 2)) {
    case 0:
      return `(${boolExpr(r, scope, depth - 1)} && ${boolExpr(r, scope, depth - 1)})`;
    case 1:
      return `(${boolExpr(r, scope, depth - 1)} || ${boolExpr(r, scope, depth - 1)})`;
    default:
      return `!(${boolExpr(r, scope, depth - 1)})`;
  }
}

/** A `match` block: a single expression or nested all/any/none lists. */
export type MatchTree =
  | { expr: string }
  | { all: { of: MatchTree[] } }
  | { any: { of: MatchTree[] } }
  | { none: { of: MatchTree[] } };

export function matchTree(r: RandomChoice, scope: ExprScope, depth = 2): MatchTree {
  if (depth <= 0 || r.chance(0.6)) return { expr: boolExpr(r, scope, 1) };
  const of = Array.from({ length: r.int(1, 3) }, () => matchTree(r, scope, depth - 1));
  switch (r.int(0, 2)) {
    case 0:
      return { all: { of } };
    case 1:
      return { any: { of } };
    default:
      return { none: { of } };
  }
}

/** A value of any type for outputs: literals, attributes (which may be missing), composites. */
export function valueExpr(r: RandomChoice, scope: ExprScope): string {
  const forms: (() => string)[] = [
    () => quote(r.oneOf(["granted", "denied", "audit"])),
    () =>
      r.oneOf([
        "R.attr.owner",
        "P.attr.level + 1",
        "R.attr.size * 2",
        "R.attr.labels",
        "P.attr.score",
      ]),
    () => `{"principal": P.id, "resource": R.id, "size": R.attr.size}`,
    () => `[R.attr.status, P.attr.department]`,
    () => `"by " + request.principal.id + " on " + R.kind`,
    () => boolExpr(r, scope, 1),
    () =>
      r.oneOf([
        'now() > timestamp("2020-01-01T00:00:00Z")',
        'duration("1h") > duration("30m")',
        "R.attr.nested",
      ]),
    // values with no JSON form: cerbos reports a conversion error in the output entry
    () =>
      r.oneOf([
        "type(R.attr.size)",
        "{1: P.attr.level}",
        'duration("90m")',
        'timestamp("2020-01-01T00:00:00Z")',
      ]),
  ];
  const ints = constantsOf(scope, "int");
  if (ints.length > 0)
    forms.push(
      () => `C.${r.oneOf(ints)} * 2.0`,
      () => `C.${r.oneOf(ints)} + 1`,
    );
  if (scope.boolVars.length > 0) forms.push(() => `{"v": V.${r.oneOf(scope.boolVars)}}`);
  return r.oneOf(forms)();
}
