// Random but valid Cerbos policy sets. Each set lives in its own namespace (`s<N>_` kinds,
// principals, custom roles, export names, and scopes under `s<N>`), so many sets can share one
// Cerbos process. A set has resource policies over a scope chain (both scopePermissions modes),
// derived roles, exported variables and constants, principal policies and role policies, with
// conditions drawn from condition-grammar.ts.

import type { JsonValue } from "../../src/authz/policy/model.ts";
import {
  boolExpr,
  matchTree,
  valueExpr,
  type ConstantKind,
  type ExprScope,
} from "./condition-grammar.ts";
import type { RandomChoice } from "./random-choice.ts";

export const baseRoles = ["user", "admin", "manager", "guest"] as const;
export const concreteActions = [
  "view",
  "edit",
  "delete",
  "approve",
  "view:public",
  "view:private",
  "create",
] as const;
const actionPatterns = [...concreteActions, "*", "view:*"] as const;

export interface GeneratedFile {
  /** Path inside the policy directory. */
  readonly path: string;
  readonly doc: Record<string, JsonValue>;
}

export interface GeneratedPolicySet {
  readonly prefix: string;
  readonly files: readonly GeneratedFile[];
  readonly kinds: readonly string[];
  readonly principalIds: readonly string[];
  /** Base roles plus the custom roles role policies define. */
  readonly roles: readonly string[];
  /** Scopes that have policies, and one below the deepest that has none. */
  readonly scopes: readonly string[];
  readonly versions: readonly string[];
}

export interface GeneratorOptions {
  /** Let conditions read `request.auxData.jwt`. */
  readonly jwt: boolean;
}

type ScopeMode =
  | "SCOPE_PERMISSIONS_OVERRIDE_PARENT"
  | "SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS"
  | undefined;

interface Definitions {
  readonly variables?: { import?: string[]; local?: Record<string, string> };
  readonly constants?: { import?: string[]; local?: Record<string, JsonValue> };
  readonly scope: ExprScope;
}

const constantPool: Record<string, { kind: ConstantKind; value: JsonValue }> = {
  maxSize: { kind: "int", value: 40 },
  dept: { kind: "string", value: "eng" },
  statuses: { kind: "list", value: ["draft", "published"] },
};
const exportedConstants: Record<string, { kind: ConstantKind; value: JsonValue }> = {
  limit: { kind: "int", value: 20 },
  homeDept: { kind: "string", value: "sales" },
};

const policy = (body: Record<string, JsonValue>): Record<string, JsonValue> => ({
  apiVersion: "api.cerbos.dev/v1",
  ...body,
});

function withoutUndefined(o: Record<string, JsonValue | undefined>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}

export function generatePolicySet(
  r: RandomChoice,
  index: number,
  opts: GeneratorOptions,
): GeneratedPolicySet {
  const prefix = `s${index}`;
  const files: GeneratedFile[] = [];
  const principalIds = [`${prefix}_alice`, `${prefix}_bob`, `${prefix}_carol`];
  const kinds = Array.from({ length: r.int(1, 2) }, (_, k) => `${prefix}_${["doc", "file"][k]}`);
  const base: Omit<ExprScope, "boolVars" | "constants"> = {
    runtime: false,
    derivedRoleNames: [],
    jwt: opts.jwt,
    principalIds,
  };

  // Exported variables and constants, importable by any policy of the set.
  const exportVarsName = `${prefix}_vars`;
  const exportedVars: Record<string, string> = {};
  if (r.chance(0.5)) {
    for (const n of r.some(["exOwner", "exDraft", "exSenior"], 1))
      exportedVars[n] = boolExpr(r, { ...base, boolVars: [], constants: {} }, 1);
    files.push({
      path: `${prefix}/export_variables.yaml`,
      doc: policy({ exportVariables: { name: exportVarsName, definitions: exportedVars } }),
    });
  }
  const exportConstsName = `${prefix}_consts`;
  const hasExportedConsts = r.chance(0.4);
  if (hasExportedConsts) {
    const definitions: Record<string, JsonValue> = {};
    for (const [n, c] of Object.entries(exportedConstants)) definitions[n] = c.value;
    files.push({
      path: `${prefix}/export_constants.yaml`,
      doc: policy({ exportConstants: { name: exportConstsName, definitions } }),
    });
  }

  /** Variables and constants for one policy: some imported, some local, locals may use earlier ones. */
  const definitions = (runtime: boolean, derivedRoleNames: readonly string[]): Definitions => {
    const constants: Record<string, ConstantKind> = {};
    const constLocal: Record<string, JsonValue> = {};
    const constImport: string[] = [];
    if (hasExportedConsts && r.chance(0.5)) {
      constImport.push(exportConstsName);
      for (const [n, c] of Object.entries(exportedConstants)) constants[n] = c.kind;
    }
    for (const n of r.some(Object.keys(constantPool), 0)) {
      const c = constantPool[n];
      if (c === undefined) continue;
      constLocal[n] = c.value;
      constants[n] = c.kind;
    }
    const boolVars: string[] = [];
    const varImport: string[] = [];
    if (Object.keys(exportedVars).length > 0 && r.chance(0.5)) {
      varImport.push(exportVarsName);
      boolVars.push(...Object.keys(exportedVars));
    }
    const varLocal: Record<string, string> = {};
    const varCount = r.int(0, 3);
    for (let k = 0; k < varCount; k++) {
      const name = `v${k}`;
      varLocal[name] = boolExpr(
        r,
        { ...base, runtime: false, derivedRoleNames, boolVars: [...boolVars], constants },
        1,
      );
      boolVars.push(name);
    }
    const variables =
      varImport.length + Object.keys(varLocal).length > 0
        ? withoutUndefined({
            import: varImport.length > 0 ? varImport : undefined,
            local: Object.keys(varLocal).length > 0 ? varLocal : undefined,
          })
        : undefined;
    const consts =
      constImport.length + Object.keys(constLocal).length > 0
        ? withoutUndefined({
            import: constImport.length > 0 ? constImport : undefined,
            local: Object.keys(constLocal).length > 0 ? constLocal : undefined,
          })
        : undefined;
    return {
      ...(variables ? { variables } : {}),
      ...(consts ? { constants: consts } : {}),
      scope: { ...base, runtime, derivedRoleNames, boolVars, constants },
    };
  };

  const condition = (scope: ExprScope): JsonValue | undefined =>
    r.chance(0.55) ? { match: matchTree(r, scope) } : undefined;
  const output = (scope: ExprScope): JsonValue | undefined => {
    if (!r.chance(0.25)) return undefined;
    if (r.chance(0.15)) return { expr: valueExpr(r, scope) };
    const when: Record<string, JsonValue> = {};
    if (r.chance(0.8)) when["ruleActivated"] = valueExpr(r, scope);
    if (r.chance(0.5) || Object.keys(when).length === 0)
      when["conditionNotMet"] = valueExpr(r, scope);
    return { when };
  };

  // Derived roles: two sets with disjoint role names so a policy may import both.
  const derivedSets: { name: string; roles: string[] }[] = [];
  for (const [k, names] of [
    ["owner", "approver"],
    ["peer", "boss"],
  ]
    .map((n) => n.map((role) => `${prefix}_${role}`))
    .entries()) {
    if (!r.chance(0.6)) continue;
    const name = `${prefix}_dr${k}`;
    const defs = definitions(false, []);
    const roles = r.some(names, 1);
    const defsList = roles.map((role) =>
      withoutUndefined({
        name: role,
        parentRoles: r.some(baseRoles, 1, 2),
        condition: condition(defs.scope),
      }),
    );
    files.push({
      path: `${prefix}/derived_roles_${k}.yaml`,
      doc: policy({
        derivedRoles: withoutUndefined({
          name,
          definitions: defsList,
          variables: defs.variables,
          constants: defs.constants,
        }),
      }),
    });
    derivedSets.push({ name, roles });
  }

  // The scope chain: root, s<N>, s<N>.hr, s<N>.hr.uk, each with one scopePermissions setting.
  const depth = r.int(0, 3);
  const chain = ["", prefix, `${prefix}.hr`, `${prefix}.hr.uk`].slice(0, depth + 1);
  const scopeModes = new Map<string, ScopeMode>(
    chain.map((s) => [
      s,
      s === ""
        ? undefined
        : r.oneOf<ScopeMode>([
            undefined,
            "SCOPE_PERMISSIONS_OVERRIDE_PARENT",
            "SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS",
          ]),
    ]),
  );
  const versions = r.chance(0.3) ? ["default", "v2"] : ["default"];

  // Resource policies: every kind has the full chain in the default version; v2 only at the root.
  let fileNo = 0;
  for (const kind of kinds) {
    for (const version of versions) {
      for (const scope of version === "default" ? chain : [""]) {
        const imported = r.some(derivedSets, 0);
        const drNames = imported.flatMap((d) => d.roles);
        const defs = definitions(true, drNames);
        const rules: JsonValue[] = [];
        const ruleCount = r.int(1, 5);
        for (let k = 0; k < ruleCount; k++) {
          const useDerived = drNames.length > 0 && r.chance(0.45);
          const useRoles = !useDerived || r.chance(0.2);
          rules.push(
            withoutUndefined({
              actions: r.some(actionPatterns, 1, 3),
              effect: r.chance(0.7) ? "EFFECT_ALLOW" : "EFFECT_DENY",
              roles: useRoles
                ? r.chance(0.15)
                  ? ["*"]
                  : r.some([...baseRoles, ...(r.chance(0.2) ? [`${prefix}_auditor`] : [])], 1, 2)
                : undefined,
              derivedRoles: useDerived ? r.some(drNames, 1) : undefined,
              condition: condition(defs.scope),
              name: r.chance(0.5) ? `rule_${k}` : undefined,
              output: output(defs.scope),
            }),
          );
        }
        files.push({
          path: `${prefix}/resource_${fileNo++}.yaml`,
          doc: policy({
            resourcePolicy: withoutUndefined({
              resource: kind,
              version,
              scope: scope === "" ? undefined : scope,
              scopePermissions: scopeModes.get(scope),
              importDerivedRoles: imported.length > 0 ? imported.map((d) => d.name) : undefined,
              variables: defs.variables,
              constants: defs.constants,
              rules,
            }),
          }),
        });
      }
    }
  }

  // Principal policies for alice (over the chain) and sometimes bob (root only).
  const principalChains: [string, readonly string[]][] = [
    [principalIds[0] ?? "", r.chance(0.6) ? chain : [""]],
  ];
  if (r.chance(0.4)) principalChains.push([principalIds[1] ?? "", [""]]);
  for (const [principal, scopes] of principalChains) {
    if (!r.chance(0.7)) continue;
    for (const scope of scopes) {
      const defs = definitions(false, []);
      const rules = r.some([...kinds, "*"], 1).map((resource) => ({
        resource,
        actions: r.some(actionPatterns, 1, 3).map((action, k) =>
          withoutUndefined({
            action,
            effect: r.chance(0.5) ? "EFFECT_ALLOW" : "EFFECT_DENY",
            condition: condition(defs.scope),
            name: r.chance(0.4) ? `p_${resource.replace(/\W/gu, "")}_${k}` : undefined,
            output: output(defs.scope),
          }),
        ),
      }));
      files.push({
        path: `${prefix}/principal_${fileNo++}.yaml`,
        doc: policy({
          principalPolicy: withoutUndefined({
            principal,
            version: "default",
            scope: scope === "" ? undefined : scope,
            scopePermissions: scopeModes.get(scope),
            variables: defs.variables,
            constants: defs.constants,
            rules,
          }),
        }),
      });
    }
  }

  // A role policy: a custom role that inherits base roles but may only do what it lists.
  const roles: string[] = [...baseRoles];
  if (r.chance(0.5)) {
    const role = `${prefix}_auditor`;
    roles.push(role);
    // Cerbos rejects a scope holding a role policy, a principal policy and a resource policy
    // with an explicit scopePermissions (lint `scope_permissions_conflicts`): keep role policies
    // to scopes without one, so fewer generated sets are wasted.
    const scope = r.oneOf(chain.filter((s) => scopeModes.get(s) === undefined));
    const defs = definitions(false, []);
    files.push({
      path: `${prefix}/role_${fileNo}.yaml`,
      doc: policy({
        rolePolicy: withoutUndefined({
          role,
          scope: scope === "" ? undefined : scope,
          parentRoles: r.some(baseRoles, 1, 2),
          variables: defs.variables,
          constants: defs.constants,
          rules: r.some(kinds, 1).map((resource) =>
            withoutUndefined({
              resource,
              allowActions: r.some(actionPatterns, 1, 3),
              condition: condition(defs.scope),
            }),
          ),
        }),
      }),
    });
  }

  const scopes = [
    ...chain,
    `${chain[chain.length - 1] === "" ? prefix : chain[chain.length - 1]}.x`,
  ];
  return { prefix, files, kinds, principalIds, roles, scopes, versions };
}
