// Checks Cerbos makes on a policy after it validates against the proto constraints and before
// it is indexed: duplicate rule, action rule and derived role names, duplicate resources in a
// principal policy, and the deprecated top-level `variables` in export policies.

import type { SourcePosition } from "../../kernel/diagnostic.ts";
import type { Policy } from "./model.ts";

export interface PolicyProblem {
  readonly path: string;
  readonly message: string;
}

type Locate = (path: string) => SourcePosition | undefined;

const at = (locate: Locate, path: string): string => {
  const p = locate(path);
  return p ? ` at ${p.line}:${p.column}` : "";
};

export function checkPolicy(
  policy: Policy,
  locate: Locate,
  options: { readonly requireRuleRoles: boolean },
): PolicyProblem[] {
  const out: PolicyProblem[] = [];
  const rp = policy.resourcePolicy;
  if (rp) {
    const seen = new Map<string, number>();
    (rp.rules ?? []).forEach((rule, i) => {
      const noRoles = (rule.roles ?? []).length === 0 && (rule.derivedRoles ?? []).length === 0;
      if (options.requireRuleRoles && noRoles) {
        out.push({
          path: `$.resourcePolicy.rules[${i}]`,
          message: `rule ${rule.name ? rule.name : `#${i + 1}`} does not specify any roles or derived roles to match`,
        });
      }
      const name = rule.name ?? "";
      if (name === "") return;
      const prev = seen.get(name);
      if (prev === undefined) {
        seen.set(name, i);
        return;
      }
      const prevPath = `$.resourcePolicy.rules[${prev}]`;
      const where = at(locate, prevPath);
      out.push({
        path: `$.resourcePolicy.rules[${i}]`,
        message: `duplicate rule name "${name}": rule #${i + 1} has the same name as rule #${prev + 1}${where ? ` defined${where}` : ""}`,
      });
    });
  }
  const pp = policy.principalPolicy;
  if (pp) {
    const resources = new Map<string, number>();
    (pp.rules ?? []).forEach((rule, i) => {
      const prev = resources.get(rule.resource);
      if (prev === undefined) resources.set(rule.resource, i);
      else {
        out.push({
          path: `$.principalPolicy.rules[${i}]`,
          message: `duplicate resource "${rule.resource}" at rule #${i + 1}: previous definition in rule #${prev + 1}${at(locate, `$.principalPolicy.rules[${prev}]`)}`,
        });
      }
      const names = new Map<string, number>();
      rule.actions.forEach((action, j) => {
        const name = action.name ?? "";
        if (name === "") return;
        const prevAction = names.get(name);
        if (prevAction === undefined) {
          names.set(name, j);
          return;
        }
        const where = at(locate, `$.principalPolicy.rules[${i}].actions[${prevAction}]`);
        out.push({
          path: `$.principalPolicy.rules[${i}].actions[${j}]`,
          message: `duplicate action rule name "${name}": action rule #${j + 1} for resource "${rule.resource}" has the same name as action rule #${prevAction + 1}${where ? ` defined${where}` : ""}`,
        });
      });
    });
  }
  const dr = policy.derivedRoles;
  if (dr) {
    const names = new Map<string, number>();
    dr.definitions.forEach((def, i) => {
      const prev = names.get(def.name);
      if (prev === undefined) {
        names.set(def.name, i);
        return;
      }
      out.push({
        path: `$.derivedRoles.definitions[${i}]`,
        message: `duplicate derived role definition "${def.name}": definition #${i + 1} has the same name as definition #${prev + 1}${at(locate, `$.derivedRoles.definitions[${prev}]`)}`,
      });
    });
  }
  const hasTopLevelVariables = Object.keys(policy.variables ?? {}).length > 0;
  if (hasTopLevelVariables && policy.exportConstants) {
    out.push({
      path: "$.variables",
      message: "export constants policies do not support the deprecated top-level variables field",
    });
  }
  if (hasTopLevelVariables && policy.exportVariables) {
    out.push({
      path: "$.variables",
      message: "export variables policies do not support the deprecated top-level variables field",
    });
  }
  return out;
}
