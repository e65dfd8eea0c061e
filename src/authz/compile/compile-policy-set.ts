// Compiles a set of policy sources into an immutable policy set: with the policies catalogued
// (policy-catalog.ts), it resolves imports, compiles variables, constants, derived roles and
// conditions, and flattens rules into the rule table the engine queries. Every problem is
// reported (with file:line:col); a set is produced only when there are none.

import type { Diagnostic } from "../../kernel/diagnostic.ts";
import { normalizeDiagnostics } from "../../kernel/diagnostic.ts";
import type { PolicySource } from "../policy/index.ts";
import type {
  DerivedRoles,
  PrincipalPolicy,
  ResourcePolicy,
  RolePolicy,
  ScopePermissions,
} from "../policy/model.ts";
import type { SchemaRegistry, SchemaSource } from "../schema/index.ts";
import { compileGlob } from "../ruletable/glob.ts";
import {
  CompiledRule,
  type RolePolicyGroup,
  type RolePolicyRule,
  type RuleDefinition,
  RuleRow,
} from "../ruletable/rule-row.ts";
import { RuleTable } from "../ruletable/rule-table.ts";
import type {
  CompiledCondition,
  CompiledDerivedRole,
  CompiledParams,
  CompiledSchemas,
  PolicyIdentity,
} from "./compiled-policy.ts";
import { ConditionCompiler } from "./conditions.ts";
import { DiagnosticSink } from "./diagnostics.ts";
import { ExpressionCompiler } from "./expressions.ts";
import { type ParamsEnv, resolveParams } from "./params.ts";
import { PolicyCatalog, type Unit } from "./policy-catalog.ts";
import {
  defaultPrincipalRuleName,
  defaultRuleName,
  principalPolicyKey,
  resourcePolicyKey,
  sanitizeName,
  scopeAncestors,
} from "./policy-names.ts";
import { SchemaCatalog } from "./schema-catalog.ts";

export interface CompileInput {
  readonly policies: readonly PolicySource[];
  readonly schemas?: readonly SchemaSource[];
  /**
   * Skip the schema checks, as `cerbos compile --ignore-schemas` does: schemas that policies
   * refer to need not exist or load (attributes are then not checked either).
   */
  readonly ignoreSchemas?: boolean;
}

/** An immutable, compiled policy set; build an engine from it with `createEngine`. */
export interface CompiledPolicySet {
  /** Keys of the compiled resource, principal and role policies (`resource.album.vdefault`). */
  readonly policyKeys: readonly string[];
  /** @internal the engine's view; not part of the public contract. */
  readonly internal: PolicySetInternals;
}

export interface PolicySetInternals {
  readonly ruleTable: RuleTable;
  readonly schemas: SchemaRegistry | undefined;
}

class Compiler {
  readonly sink = new DiagnosticSink();
  readonly exprs = new ExpressionCompiler();
  readonly table = new RuleTable();
  readonly catalog: PolicyCatalog;
  readonly compiledDerivedRoleSets = new Map<string, Map<string, CompiledDerivedRole>>();
  readonly schemas: SchemaCatalog;
  readonly policyKeys: string[] = [];
  #seq = 0;
  #paramsId = 0;
  readonly #evaluationKeys = new Map<string, number>();
  readonly env: ParamsEnv;

  constructor(sources: readonly PolicySource[], schemas: SchemaCatalog) {
    this.schemas = schemas;
    this.catalog = new PolicyCatalog(sources, this.sink);
    this.env = {
      sink: this.sink,
      exprs: this.exprs,
      exportedConstants: this.catalog.exportedConstants,
      exportedVariables: this.catalog.exportedVariables,
      nextParamsId: () => ++this.#paramsId,
    };
  }

  evaluationKey(text: string): number {
    let k = this.#evaluationKeys.get(text);
    if (k === undefined) {
      k = this.#evaluationKeys.size + 1;
      this.#evaluationKeys.set(text, k);
    }
    return k;
  }

  nextSeq(): number {
    return ++this.#seq;
  }

  // ---- derived roles ----

  derivedRoleSet(name: string): Map<string, CompiledDerivedRole> | undefined {
    const cached = this.compiledDerivedRoleSets.get(name);
    if (cached) return cached;
    const unit = this.catalog.derivedRoleSets.get(name);
    if (!unit) return undefined;
    const dr = unit.policy.derivedRoles as DerivedRoles;
    const resolved = resolveParams(
      this.env,
      unit.parsed,
      "$.derivedRoles",
      dr.constants,
      dr.variables,
      unit.policy.variables,
    );
    const out = new Map<string, CompiledDerivedRole>();
    (dr.definitions ?? []).forEach((def, i) => {
      // Each definition carries only the variables its own condition reads, as in Cerbos.
      const conditions = new ConditionCompiler(this.sink, this.exprs, unit.parsed, resolved);
      const condition = conditions.condition(
        def.condition,
        `$.derivedRoles.definitions[${i}].condition`,
      );
      out.set(def.name, {
        name: def.name,
        originKey: unit.key,
        parentRoles: def.parentRoles ?? [],
        ...(condition ? { condition } : {}),
        params: resolved.finalize(conditions),
      });
    });
    this.compiledDerivedRoleSets.set(name, out);
    return out;
  }

  // ---- scope ancestry ----

  checkSchema(u: Unit, ref: string | undefined, which: "principal" | "resource"): void {
    if (ref === undefined) return;
    const problem = this.schemas.problemOf(ref);
    if (problem === undefined) return;
    this.sink.at(
      u.parsed,
      `$.resourcePolicy.schemas.${which}Schema.ref`,
      "invalid schema",
      `Failed to load ${which} schema "${ref}": ${problem}`,
    );
  }

  /** A scoped policy without schemas uses those of its nearest ancestor that has them. */
  inheritedSchemas(rp: ResourcePolicy): CompiledSchemas | undefined {
    const own = schemasOf(rp);
    if (own) return own;
    for (const s of scopeAncestors(rp.scope ?? "")) {
      const anc = this.catalog.byKey.get(resourcePolicyKey(rp.resource, rp.version, s));
      const found =
        anc && !anc.disabled && anc.policy.resourcePolicy
          ? schemasOf(anc.policy.resourcePolicy)
          : undefined;
      if (found) return found;
    }
    return undefined;
  }

  // ---- resource policies ----

  resourcePolicy(u: Unit): void {
    const rp = u.policy.resourcePolicy as ResourcePolicy;
    const scope = rp.scope ?? "";
    const version = rp.version;
    const resource = sanitizeName(rp.resource);
    this.catalog.checkAncestors(u, (s) => resourcePolicyKey(rp.resource, version, s), scope);
    this.checkSchema(u, rp.schemas?.principalSchema?.ref, "principal");
    this.checkSchema(u, rp.schemas?.resourceSchema?.ref, "resource");

    const resolved = resolveParams(
      this.env,
      u.parsed,
      "$.resourcePolicy",
      rp.constants,
      rp.variables,
      u.policy.variables,
    );
    const conditions = new ConditionCompiler(this.sink, this.exprs, u.parsed, resolved);

    // Imported derived roles: name -> definitions found in imports (several means ambiguous).
    const imported = new Map<
      string,
      { role: CompiledDerivedRole; setName: string; index: number }[]
    >();
    (rp.importDerivedRoles ?? []).forEach((setName, i) => {
      const set = this.derivedRoleSet(setName);
      if (!set) {
        this.sink.at(
          u.parsed,
          `$.resourcePolicy.importDerivedRoles[${i}]`,
          "import not found",
          `Derived roles import "${setName}" cannot be found`,
        );
        return;
      }
      for (const role of set.values()) {
        const list = imported.get(role.name) ?? [];
        list.push({ role, setName, index: i });
        imported.set(role.name, list);
      }
    });
    const reportedAmbiguous = new Set<string>();
    // Cerbos names each unknown derived role once, at its last use.
    const unknownDerived = new Map<string, string>();

    const identity: PolicyIdentity = {
      kind: "RESOURCE",
      name: resource,
      version,
      scope,
      key: u.key,
      file: u.parsed.file,
    };
    interface PendingRule {
      readonly index: number;
      readonly name: string;
      readonly condition?: CompiledCondition;
      readonly output?: ReturnType<ConditionCompiler["output"]>;
      readonly derivedRoles: CompiledDerivedRole[];
    }
    const pendingRules: PendingRule[] = [];
    (rp.rules ?? []).forEach((rule, i) => {
      const path = `$.resourcePolicy.rules[${i}]`;
      const name = rule.name || defaultRuleName(i);
      if ((rule.roles?.length ?? 0) === 0 && (rule.derivedRoles?.length ?? 0) === 0) {
        this.sink.at(
          u.parsed,
          path,
          "invalid resource rule",
          `Rule '${name}' does not specify any roles or derived roles to be matched`,
        );
      }
      const derivedRoles: CompiledDerivedRole[] = [];
      (rule.derivedRoles ?? []).forEach((drName, j) => {
        const found = imported.get(drName);
        if (!found || found.length === 0) {
          unknownDerived.delete(drName);
          unknownDerived.set(drName, `${path}.derivedRoles[${j}]`);
          return;
        }
        if (found.length > 1) {
          if (!reportedAmbiguous.has(drName)) {
            reportedAmbiguous.add(drName);
            const where = found.map((f) => {
              const setUnit = this.catalog.derivedRoleSets.get(f.setName) as Unit;
              const pos = u.parsed.positionOf(`$.resourcePolicy.importDerivedRoles[${f.index}]`);
              const at = pos ? ` at ${pos.line}:${pos.column}` : "";
              return `${setUnit.parsed.file} (imported as "${f.setName}"${at})`;
            });
            this.sink.file(
              u.parsed.file,
              "ambiguous derived role",
              `Derived role "${drName}" is defined in more than one import: ${where.join(", ")}`,
            );
          }
          return;
        }
        derivedRoles.push((found[0] as { role: CompiledDerivedRole }).role);
      });
      const condition = conditions.condition(rule.condition, `${path}.condition`);
      const output = conditions.output(rule.output, `${path}.output`);
      pendingRules.push({
        index: i,
        name,
        ...(condition ? { condition } : {}),
        ...(output ? { output } : {}),
        derivedRoles,
      });
    });

    for (const [drName, at] of unknownDerived) {
      this.sink.at(
        u.parsed,
        at,
        "unknown derived role",
        `Derived role "${drName}" is not defined in any imports`,
      );
    }
    const params = resolved.finalize(conditions);
    this.table.addPolicy(
      identity,
      rp.scopePermissions ?? "SCOPE_PERMISSIONS_OVERRIDE_PARENT",
      this.inheritedSchemas(rp),
    );
    this.policyKeys.push(u.key);
    const declared = rp.scopePermissions;
    const rowPermissions: ScopePermissions =
      declared === undefined || declared === "SCOPE_PERMISSIONS_UNSPECIFIED"
        ? "SCOPE_PERMISSIONS_OVERRIDE_PARENT"
        : declared;
    const referencedDerived = new Map<string, CompiledDerivedRole>();

    for (const pr of pendingRules) {
      const rule = (rp.rules ?? [])[pr.index];
      if (!rule) continue;
      const consent =
        declared === "SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS" &&
        rule.effect === "EFFECT_ALLOW" &&
        pr.condition;
      // Under parental consent a conditional ALLOW becomes "DENY unless the condition holds".
      const condition: CompiledCondition | undefined =
        consent && pr.condition ? { op: "none", of: [pr.condition] } : pr.condition;
      const effect = consent ? "EFFECT_DENY" : rule.effect;
      const ruleKey = `${u.key}#${pr.name}`;
      // One object for everything the rule's rows (one per action and role) have in common.
      const compiled = new CompiledRule({
        origin: identity,
        kind: "RESOURCE",
        resource,
        scope,
        version,
        scopePermissions: rowPermissions,
        name: pr.name,
        outputSource: ruleKey,
        condition,
        output: pr.output,
        params,
        effect,
        fromRolePolicy: false,
        noMatchForScopePermissions: false,
      });
      const ruleEvaluationKey = this.evaluationKey(ruleKey);
      for (const action of rule.actions ?? []) {
        for (const role of rule.roles ?? []) {
          this.table.addRow(new RuleRow(compiled, this.nextSeq(), role, action, ruleEvaluationKey));
        }
        for (const dr of pr.derivedRoles) {
          referencedDerived.set(dr.name, dr);
          // One key per derived role of the rule: in cerbos 0.55 a rule for `[peer, owner]`
          // whose `peer` does not hold still applies through `owner` (established against the
          // binary: a key shared by the whole set would make `owner` reuse `peer`'s "no").
          const key = this.evaluationKey(`${dr.originKey}#${dr.name}#${ruleKey}`);
          for (const parent of dr.parentRoles) {
            this.table.addRow(new RuleRow(compiled, this.nextSeq(), parent, action, key, dr));
          }
        }
      }
    }
    if (referencedDerived.size > 0)
      this.table.setDerivedRoles(version, scope, resource, [...referencedDerived.values()]);
  }

  // ---- principal policies ----

  principalPolicy(u: Unit): void {
    const pp = u.policy.principalPolicy as PrincipalPolicy;
    const scope = pp.scope ?? "";
    const version = pp.version;
    this.catalog.checkAncestors(u, (s) => principalPolicyKey(pp.principal, version, s), scope);
    const resolved = resolveParams(
      this.env,
      u.parsed,
      "$.principalPolicy",
      pp.constants,
      pp.variables,
      u.policy.variables,
    );
    const conditions = new ConditionCompiler(this.sink, this.exprs, u.parsed, resolved);
    const identity: PolicyIdentity = {
      kind: "PRINCIPAL",
      name: pp.principal,
      version,
      scope,
      key: u.key,
      file: u.parsed.file,
    };
    const declared = pp.scopePermissions;
    const rowPermissions: ScopePermissions =
      declared === undefined || declared === "SCOPE_PERMISSIONS_UNSPECIFIED"
        ? "SCOPE_PERMISSIONS_OVERRIDE_PARENT"
        : declared;

    // Rows wait for the policy's params, which are known once every condition is compiled.
    const pending: { definition: RuleDefinition; action: string; evaluationKey: number }[] = [];
    (pp.rules ?? []).forEach((rule, i) => {
      (rule.actions ?? []).forEach((a, j) => {
        const path = `$.principalPolicy.rules[${i}].actions[${j}]`;
        const name = a.name || defaultPrincipalRuleName(rule.resource, j);
        const compiled = conditions.condition(a.condition, `${path}.condition`);
        const output = conditions.output(a.output, `${path}.output`);
        const consent =
          declared === "SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS" &&
          a.effect === "EFFECT_ALLOW" &&
          compiled;
        const condition: CompiledCondition | undefined =
          consent && compiled ? { op: "none", of: [compiled] } : compiled;
        const ruleKey = `${u.key}#${name}`;
        pending.push({
          definition: {
            origin: identity,
            kind: "PRINCIPAL",
            resource: sanitizeName(rule.resource),
            principal: pp.principal,
            scope,
            version,
            scopePermissions: rowPermissions,
            name,
            outputSource: ruleKey,
            condition,
            output,
            effect: consent ? "EFFECT_DENY" : a.effect,
            fromRolePolicy: false,
            noMatchForScopePermissions: false,
          },
          action: a.action,
          evaluationKey: this.evaluationKey(ruleKey),
        });
      });
    });
    const params = resolved.finalize(conditions);
    this.table.addPolicy(identity, rowPermissions);
    this.policyKeys.push(u.key);
    for (const p of pending) {
      const compiled = new CompiledRule({ ...p.definition, params });
      this.table.addRow(new RuleRow(compiled, this.nextSeq(), "*", p.action, p.evaluationKey));
    }
  }

  // ---- role policies ----

  rolePolicy(u: Unit): void {
    const rp = u.policy.rolePolicy as RolePolicy;
    const scope = rp.scope ?? "";
    const version = rp.version || "default";
    const resolved = resolveParams(
      this.env,
      u.parsed,
      "$.rolePolicy",
      rp.constants,
      rp.variables,
      undefined,
    );
    const conditions = new ConditionCompiler(this.sink, this.exprs, u.parsed, resolved);
    const identity: PolicyIdentity = {
      kind: "ROLE",
      name: rp.role,
      version,
      scope,
      key: u.key,
      file: u.parsed.file,
    };
    const compiledRules = (rp.rules ?? []).map((rule, i) => {
      const path = `$.rolePolicy.rules[${i}]`;
      return {
        rule,
        index: i,
        condition: conditions.condition(rule.condition, `${path}.condition`),
        output: conditions.output(rule.output, `${path}.output`),
      };
    });
    const params: CompiledParams = resolved.finalize(conditions);
    const common = {
      origin: identity,
      kind: "RESOURCE" as const,
      scope,
      version,
      fromRolePolicy: true,
      noMatchForScopePermissions: false,
    };
    const rules: RolePolicyRule[] = compiledRules.map(({ rule, index, condition, output }) => {
      // Cerbos gives unnamed role policy rules no name: their outputs come from `role.x.vdefault#`.
      const name = rule.name ?? "";
      const evaluationText = `${u.key}#${rp.role}_rule-${String(index).padStart(3, "0")}`;
      const outputSource = `${u.key}#${name}`;
      const allowRow = new RuleRow(
        new CompiledRule({
          ...common,
          resource: rule.resource,
          name,
          outputSource,
          condition,
          output,
          params,
        }),
        this.nextSeq(),
        rp.role,
        "",
        this.evaluationKey(evaluationText),
      );
      const denyRow =
        condition === undefined
          ? undefined
          : new RuleRow(
              new CompiledRule({
                ...common,
                resource: rule.resource,
                scopePermissions: "SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS",
                name,
                outputSource,
                condition: { op: "none", of: [condition] },
                params,
                effect: "EFFECT_DENY",
              }),
              this.nextSeq(),
              rp.role,
              "",
              this.evaluationKey(`${evaluationText}#deny`),
            );
      return {
        resource: compileGlob(rule.resource),
        allowActions: (rule.allowActions ?? []).map((a) => compileGlob(a)),
        allowRow,
        denyRow,
      };
    });
    const group: RolePolicyGroup = {
      role: rp.role,
      rules,
      // The implicit DENY carries no variables: Cerbos evaluates none for it.
      blanketDeny: new RuleRow(
        new CompiledRule({
          ...common,
          resource: "*",
          name: "",
          outputSource: u.key,
          effect: "EFFECT_DENY",
          noMatchForScopePermissions: true,
        }),
        this.nextSeq(),
        rp.role,
        "",
        this.evaluationKey(`${u.key}#blanket`),
      ),
    };
    this.table.addRolePolicy(
      version,
      scope,
      group,
      (rp.rules ?? []).map((r) => r.resource),
      rp.parentRoles ?? [],
    );
    this.policyKeys.push(u.key);
  }

  compileAll(): void {
    for (const u of this.catalog.units) {
      if (u.disabled) continue;
      switch (u.kind) {
        case "RESOURCE":
          this.resourcePolicy(u);
          break;
        case "PRINCIPAL":
          this.principalPolicy(u);
          break;
        case "ROLE":
          this.rolePolicy(u);
          break;
        default:
          break;
      }
    }
    this.catalog.checkScopePermissions(this.sink);
    this.catalog.reportMissingAncestors(this.sink);
    this.table.finish();
  }
}

function schemasOf(rp: ResourcePolicy): CompiledSchemas | undefined {
  if (!rp.schemas) return undefined;
  return {
    ...(rp.schemas.principalSchema ? { principalSchema: rp.schemas.principalSchema } : {}),
    ...(rp.schemas.resourceSchema ? { resourceSchema: rp.schemas.resourceSchema } : {}),
  };
}

export function compilePolicySet(input: CompileInput): {
  policySet?: CompiledPolicySet;
  diagnostics: readonly Diagnostic[];
} {
  const schemas = new SchemaCatalog(input.schemas ?? [], input);
  const compiler = new Compiler(input.policies, schemas);
  compiler.compileAll();
  const all = normalizeDiagnostics(compiler.sink.list);
  if (all.length > 0) return { diagnostics: all };
  const internal: PolicySetInternals = { ruleTable: compiler.table, schemas: schemas.registry };
  return {
    policySet: Object.freeze({ policyKeys: Object.freeze([...compiler.policyKeys]), internal }),
    diagnostics: all,
  };
}
