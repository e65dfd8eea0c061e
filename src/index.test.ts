import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvalidPolicyError, loadPolicies } from "./index.ts";

const policy = `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: document
  version: default
  rules:
    - actions: ["view"]
      roles: ["user"]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: R.attr.owner == P.id
`;

test("loadPolicies reads a folder and checks in-process", async () => {
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-lib-"));
  try {
    await writeFile(join(dir, "document.yaml"), policy);
    const pdp = await loadPolicies(dir);
    const principal = { id: "alice", roles: ["user"] };
    const [mine, theirs] = pdp.check([
      {
        principal,
        resource: { kind: "document", id: "1", attr: { owner: "alice" } },
        actions: ["view", "edit"],
      },
      {
        principal,
        resource: { kind: "document", id: "2", attr: { owner: "bob" } },
        actions: ["view"],
      },
    ]);
    assert.equal(mine?.actions["view"]?.effect, "EFFECT_ALLOW");
    assert.equal(mine?.actions["edit"]?.effect, "EFFECT_DENY");
    assert.equal(theirs?.actions["view"]?.effect, "EFFECT_DENY");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("loadPolicies rejects a broken folder with every problem and its position", async () => {
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-lib-"));
  try {
    await writeFile(
      join(dir, "document.yaml"),
      policy.replace("R.attr.owner == P.id", "R.attr.owner ^^ 1"),
    );
    await assert.rejects(loadPolicies(dir), (err: unknown) => {
      assert.ok(err instanceof InvalidPolicyError);
      const d = err.diagnostics.find((x) => x.file === "document.yaml");
      assert.equal(d?.error, "invalid expression");
      assert.equal(d?.position?.line, 11);
      return true;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
