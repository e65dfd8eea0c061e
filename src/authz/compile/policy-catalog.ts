// The policies of a set, indexed before compilation: every file parsed and classified by its
// key, duplicates reported, exported variables/constants and derived roles found by name, and
// the checks that concern several policies at once (scope ancestors, scope permissions).

import { parsePolicy, type ParsedPolicy, type PolicySource } from "../policy/index.ts";
import type { Policy } from "../policy/model.ts";
import type { DiagnosticSink } from "./diagnostics.ts";
import { keyPath } from "./diagnostics.ts";
import { type ExportedConstants, type ExportedVariables, identifierProblem } from "./params.ts";
import {
  derivedRolesKey,
  exportConstantsKey,
  exportVariablesKey,
  principalPolicyKey,
  resourcePolicyKey,
  rolePolicyKey,
  scopeAncestors,
} from "./policy-names.ts";

export type Kind =
  "RESOURCE" | "PRINCIPAL" | "ROLE" | "DERIVED_ROLES" | "EXPORT_VARIABLES" | "EXPORT_CONSTANTS";

export interface Unit {
  readonly parsed: ParsedPolicy;
  readonly policy: Policy;
  readonly kind: Kind;
  readonly key: string;
  readonly disabled: boolean;
}

function classify(parsed: ParsedPolicy): Unit | undefined {
  const p = parsed.policy;
  const disabled = p.disabled === true;
  const mk = (kind: Kind, key: string): Unit => ({ parsed, policy: p, kind, key, disabled });
  if (p.resourcePolicy) {
    const r = p.resourcePolicy;
    return mk("RESOURCE", resourcePolicyKey(r.resource, r.version, r.scope ?? ""));
  }
  if (p.principalPolicy) {
    const r = p.principalPolicy;
    return mk("PRINCIPAL", principalPolicyKey(r.principal, r.version, r.scope ?? ""));
  }
  if (p.rolePolicy) {
    const r = p.rolePolicy;
    return mk("ROLE", rolePolicyKey(r.role, r.version || "default", r.scope ?? ""));
  }
  if (p.derivedRoles) return mk("DERIVED_ROLES", derivedRolesKey(p.derivedRoles.name));
  if (p.exportVariables) return mk("EXPORT_VARIABLES", exportVariablesKey(p.exportVariables.name));
  if (p.exportConstants) return mk("EXPORT_CONSTANTS", exportConstantsKey(p.exportConstants.name));
  return undefined;
}

/**
 * Where Cerbos places document-level problems (duplicates, disabled policies): just after the
 * first key of the document, e.g. `2:11` for a file starting `---\napiVersion: ...`.
 */
export function documentPosition(
  parsed: ParsedPolicy,
): { line: number; column: number } | undefined {
  const pos = parsed.positionOf("$.apiVersion");
  return pos ? { line: pos.line, column: pos.column + "apiVersion".length } : undefined;
}

export class PolicyCatalog {
  readonly units: Unit[] = [];
  readonly byKey = new Map<string, Unit>();
  readonly exportedConstants = new Map<string, ExportedConstants>();
  readonly exportedVariables = new Map<string, ExportedVariables>();
  readonly derivedRoleSets = new Map<string, Unit>();
  readonly #sink: DiagnosticSink;

  constructor(sources: readonly PolicySource[], sink: DiagnosticSink) {
    this.#sink = sink;
    const sorted = [...sources].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    for (const src of sorted) {
      const { policy, diagnostics } = parsePolicy(src);
      this.#sink.list.push(...diagnostics);
      if (!policy) continue;
      const unit = classify(policy);
      if (!unit) continue;
      const previous = this.byKey.get(unit.key);
      if (previous) {
        this.#sink.positioned(
          unit.parsed.file,
          "duplicate definition",
          `duplicate definition of ${unit.key} (previous definition in ${previous.parsed.file})`,
          documentPosition(unit.parsed),
        );
        continue;
      }
      this.byKey.set(unit.key, unit);
      this.units.push(unit);
    }
    for (const u of this.units) {
      if (u.disabled) continue;
      const p = u.policy;
      if (p.exportConstants) {
        const defs = p.exportConstants.definitions ?? {};
        for (const name of Object.keys(defs)) {
          const problem = identifierProblem(name);
          if (problem)
            this.#sink.at(
              u.parsed,
              keyPath("$.exportConstants.definitions", name),
              "invalid constant name",
              problem,
            );
        }
        this.exportedConstants.set(p.exportConstants.name, {
          parsed: u.parsed,
          name: p.exportConstants.name,
          definitions: defs,
        });
      } else if (p.exportVariables) {
        const defs = p.exportVariables.definitions ?? {};
        for (const name of Object.keys(defs)) {
          const problem = identifierProblem(name);
          if (problem)
            this.#sink.at(
              u.parsed,
              keyPath("$.exportVariables.definitions", name),
              "invalid variable name",
              problem,
            );
        }
        this.exportedVariables.set(p.exportVariables.name, {
          parsed: u.parsed,
          name: p.exportVariables.name,
          definitions: defs,
        });
      } else if (p.derivedRoles) {
        this.derivedRoleSets.set(p.derivedRoles.name, u);
      }
    }
  }

  /** Missing ancestor key -> the deepest policy that needs it, with that policy's chain. */
  readonly #missingAncestors = new Map<string, { unit: Unit; depth: number; chain: Unit[] }>();

  checkAncestors(u: Unit, makeKey: (scope: string) => string, scope: string): void {
    const chain: Unit[] = [u];
    const missing: string[] = [];
    for (const s of scopeAncestors(scope)) {
      const key = makeKey(s);
      const anc = this.byKey.get(key);
      if (anc && !anc.disabled) {
        chain.push(anc);
        continue;
      }
      missing.push(key);
    }
    const depth = scope === "" ? 0 : scope.split(".").length;
    for (const key of missing) {
      const seen = this.#missingAncestors.get(key);
      if (!seen || seen.depth < depth) this.#missingAncestors.set(key, { unit: u, depth, chain });
    }
  }

  /**
   * Reports each missing ancestor once, on its deepest descendant, and only when that
   * descendant's chain compiled cleanly (Cerbos stops at the first failing policy of a chain).
   */
  reportMissingAncestors(sink: DiagnosticSink): void {
    const filesWithErrors = new Set(sink.list.map((d) => d.file));
    const sorted = [...this.#missingAncestors.entries()].sort((a, b) => b[0].length - a[0].length);
    for (const [key, { unit, chain }] of sorted) {
      const anc = this.byKey.get(key);
      if (anc?.disabled)
        sink.positioned(anc.parsed.file, "disabled policy", key, documentPosition(anc.parsed));
      if (chain.some((c) => filesWithErrors.has(c.parsed.file))) continue;
      sink.file(unit.parsed.file, "missing policy definition", `Missing ancestor policy "${key}"`);
    }
  }

  /**
   * Cerbos 0.55 rejects some scopes that mix role policies with explicit scope permissions. What
   * it rejects was established by experiment with `cerbos compile` (the rule is not documented):
   * in a scope that has a role policy, a principal policy may not set `scopePermissions`, and at
   * most one resource policy may (even two agreeing settings are refused).
   */
  checkScopePermissions(sink: DiagnosticSink): void {
    const roleScopes = new Set<string>();
    for (const u of this.units) {
      if (!u.disabled && u.policy.rolePolicy) roleScopes.add(u.policy.rolePolicy.scope ?? "");
    }
    const explicitResource = new Map<string, number>();
    const reported = new Set<string>();
    for (const u of this.units) {
      if (u.disabled) continue;
      const p = u.policy.resourcePolicy ?? u.policy.principalPolicy;
      if (!p) continue;
      const scope = p.scope ?? "";
      const explicit =
        p.scopePermissions !== undefined && p.scopePermissions !== "SCOPE_PERMISSIONS_UNSPECIFIED";
      if (!roleScopes.has(scope) || !explicit || reported.has(scope)) continue;
      let conflict = u.policy.principalPolicy !== undefined;
      if (!conflict) {
        const n = (explicitResource.get(scope) ?? 0) + 1;
        explicitResource.set(scope, n);
        conflict = n > 1;
      }
      if (conflict) {
        reported.add(scope);
        sink.file(
          u.parsed.file,
          "scope permission conflict",
          `policies sharing scope ${scope} have conflicting scopePermissions`,
        );
      }
    }
  }
}
