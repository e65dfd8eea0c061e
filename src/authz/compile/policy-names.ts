// How Cerbos names policies, rules and scopes: policy keys (`resource.leave_request.v20210210/acme`),
// the sanitising of legacy-style names, default rule names and the scope ancestry walk. Keys
// appear in responses and diagnostics, so they must be spelled exactly as Cerbos spells them.

// Names that matched Cerbos's pre-0.30 pattern have their non-word characters replaced, because
// keys computed that way are what Cerbos reports (and what stores were keyed by).
const OLD_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_@.\-/]*(:[A-Za-z][A-Za-z0-9_@.\-/]*)*$/u;
const INVALID_IDENTIFIER_CHARS = /[^\w.]+/gu;

// Requests name the same few kinds over and over; remembering answers keeps regular
// expressions off the request path. The cache is bounded because names come from requests.
const MEMO_LIMIT = 10_000;
const sanitized = new Map<string, string>();

export function sanitizeName(name: string): string {
  let s = sanitized.get(name);
  if (s === undefined) {
    s = OLD_NAME_PATTERN.test(name) ? name.replace(INVALID_IDENTIFIER_CHARS, "_") : name;
    if (sanitized.size >= MEMO_LIMIT) sanitized.clear();
    sanitized.set(name, s);
  }
  return s;
}

function withScope(key: string, scope: string): string {
  return scope === "" ? key : `${key}/${scope}`;
}

export function resourcePolicyKey(resource: string, version: string, scope: string): string {
  return withScope(`resource.${sanitizeName(resource)}.v${sanitizeName(version)}`, scope);
}

export function principalPolicyKey(principal: string, version: string, scope: string): string {
  return withScope(`principal.${sanitizeName(principal)}.v${sanitizeName(version)}`, scope);
}

export function rolePolicyKey(role: string, version: string, scope: string): string {
  return withScope(`role.${sanitizeName(role)}.v${sanitizeName(version)}`, scope);
}

export function derivedRolesKey(name: string): string {
  return `derived_roles.${sanitizeName(name)}`;
}

export function exportVariablesKey(name: string): string {
  return `export_variables.${sanitizeName(name)}`;
}

export function exportConstantsKey(name: string): string {
  return `export_constants.${sanitizeName(name)}`;
}

/** `rule-001` style default name of the i-th (0-based) resource or role policy rule. */
export function defaultRuleName(index: number): string {
  return `rule-${String(index + 1).padStart(3, "0")}`;
}

/** `leave_request_rule-001` style default name of a principal policy action rule. */
export function defaultPrincipalRuleName(resource: string, index: number): string {
  return `${resource}_rule-${String(index + 1).padStart(3, "0")}`;
}

/** Parent scopes from the nearest to the root: `a.b.c` -> `a.b`, `a`, ``. */
export function scopeAncestors(scope: string): string[] {
  const out: string[] = [];
  if (scope === "") return out;
  for (let i = scope.length - 1; i >= 0; i--) {
    if (scope[i] === ".") out.push(scope.slice(0, i));
  }
  out.push("");
  return out;
}

/** A request's scope as the engine uses it: `.` is an alias of the root scope. */
export function normalizeScope(scope: string | undefined): string {
  if (scope === undefined || scope === ".") return "";
  return scope;
}
