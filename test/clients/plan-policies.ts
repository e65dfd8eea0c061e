// A small policy set for PlanResources tests over the wire (HTTP, gRPC, the official clients):
// rules whose plans are simple enough to state exactly. `doc` in the root scope lets users
// view open documents and admins view and edit anything, and denies `delete` to everyone;
// scope `acme` adds `comment` for users; version `v2` lets users view everything.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const policies: Record<string, string> = {
  "doc.yaml": `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: doc
  version: default
  rules:
    - actions: ["view"]
      effect: EFFECT_ALLOW
      roles: ["user"]
      condition:
        match:
          expr: request.resource.attr.status == "open"
    - actions: ["edit", "view"]
      effect: EFFECT_ALLOW
      roles: ["admin"]
    - actions: ["delete"]
      effect: EFFECT_DENY
      roles: ["*"]
`,
  "doc_acme.yaml": `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: doc
  version: default
  scope: acme
  rules:
    - actions: ["comment"]
      effect: EFFECT_ALLOW
      roles: ["user"]
`,
  "doc_v2.yaml": `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: doc
  version: v2
  rules:
    - actions: ["view"]
      effect: EFFECT_ALLOW
      roles: ["user"]
`,
};

/** Writes the policies to a fresh folder; `remove` deletes it. */
export function writePlanPolicies(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-plan-policies-"));
  for (const [name, text] of Object.entries(policies)) writeFileSync(join(dir, name), text);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `(eq request.resource.attr.status "open")` as a filter condition. */
export const statusIsOpen = {
  expression: {
    operator: "eq",
    operands: [{ variable: "request.resource.attr.status" }, { value: "open" }],
  },
};
