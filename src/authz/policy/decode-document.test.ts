import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeText } from "./decode-document.ts";
import { policyShape } from "./policy-shape.ts";

const text = `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: album
  version: default
  rules:
${Array.from(
  { length: 12 },
  (_, i) => `    - actions: ["view", "edit"]
      effect: EFFECT_ALLOW
      roles: [user_${i}]
`,
).join("")}`;

test("path offsets answer the same however many times they are asked", () => {
  const doc = decodeText(text, policyShape).documents[0];
  assert.ok(doc);
  const paths = [...doc.offsets.keys()];
  assert.ok(paths.length > 50);
  assert.ok(paths.includes("$.resourcePolicy.rules[11].roles[0]"));
  // The first lookups search the list, later ones an index built on the way: same answers.
  const first = paths.map((p) => doc.offsets.get(p));
  const again = paths.map((p) => doc.offsets.get(p));
  assert.deepEqual(again, first);
  assert.deepEqual(new Map(doc.offsets), new Map(paths.map((p, i) => [p, first[i]])));
  assert.equal(doc.offsets.size, paths.length);
  assert.equal(doc.offsets.get("$.resourcePolicy.rules[12]"), undefined);
  const role = doc.offsets.get("$.resourcePolicy.rules[11].roles[0]");
  assert.equal(text.slice(role?.value, (role?.value ?? 0) + 7), "user_11");
  const effect = doc.offsets.get("$.resourcePolicy.rules[0].effect");
  assert.deepEqual(effect && [text.slice(effect.key, effect.value), effect.scalar], [
    "effect: ",
    true,
  ]);
});

test("decoded strings equal the text they were read from", () => {
  const expr = "request.resource.attr.owner == request.principal.id && 'x' in P.attr.tags";
  const src = `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: album_with_a_long_name
  version: default
  rules:
    - actions: ["view"]
      effect: EFFECT_ALLOW
      roles: [user]
      condition:
        match:
          expr: ${JSON.stringify(expr)}
`;
  const doc = decodeText(src, policyShape).documents[0];
  const rp = doc?.value["resourcePolicy"] as {
    resource: string;
    rules: { effect: string; condition: { match: { expr: string } } }[];
  };
  assert.equal(rp.resource, "album_with_a_long_name");
  assert.equal(rp.rules[0]?.condition.match.expr, expr);
  assert.equal(rp.rules[0]?.effect, "EFFECT_ALLOW");
});
