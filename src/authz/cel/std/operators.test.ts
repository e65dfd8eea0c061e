import assert from "node:assert/strict";
import { test } from "node:test";
import { CelError, compileExpression, createEnvironment, T, type CelResult } from "../index.ts";

const env = createEnvironment({ variables: { m: T.dyn, k: T.dyn } });

function evaluate(src: string, m: unknown, k: unknown): CelResult {
  const { expression, issues } = compileExpression(env, src);
  assert.ok(expression, issues.map((i) => i.message).join("; "));
  return expression.evaluate({ m: m as never, k: k as never });
}

test("`in` on a map finds keys bound to null", () => {
  assert.equal(evaluate("k in m", { y: null }, "y"), true);
  assert.equal(evaluate("k in m", new Map([["y", null]]), "y"), true);
});

test("`in` on a map is false for keys of a type maps never hold", () => {
  assert.equal(evaluate("k in m", { y: 1 }, []), false);
  assert.equal(evaluate("k in m", { y: 1 }, { y: 1 }), false);
  assert.equal(evaluate("k in m", { y: 1 }, null), false);
});

test("`in` on a map fails for a bytes key, as in cel-go", () => {
  // cerbos repl: b"y" in {"y": 1} fails with "hash of unhashable type types.Bytes".
  const r = evaluate("k in m", { y: 1 }, new TextEncoder().encode("y"));
  assert.ok(r instanceof CelError);
  assert.ok(evaluate("!(k in m) || true", new Map([["y", 1]]), new Uint8Array()) === true);
});
