// Table-driven tests for CEL functions: each case is an expression and what the cerbos 0.55
// REPL answered for it. Expressions are compiled in the Cerbos environment and evaluated with
// empty request bindings; values are compared in their JSON form (opaque values by string).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { cerbosBindings, cerbosEnvironment } from "../../src/authz/cel/cerbos/index.ts";
import {
  CelError,
  CelTimestamp,
  compileExpression,
  toJsonValue,
  type EvalContext,
} from "../../src/authz/cel/index.ts";

export type CelExpectation =
  /** The REPL printed this value (JSON form). */
  | { readonly value: unknown }
  /** The REPL reported this evaluation error. */
  | { readonly error: string }
  /** The REPL rejected the expression when compiling it; Gatehouse must reject it too (at compile or run time). */
  | { readonly rejected: string };

/** An expression, what the REPL answered, and optionally why Gatehouse cannot pass it yet (run as a todo). */
export type CelCase = readonly [expr: string, want: CelExpectation, pending?: string];

const bindings = cerbosBindings({
  principal: { id: "p", roles: [] },
  resource: { kind: "k", id: "r" },
});
const ctx: EvalContext = { now: () => new CelTimestamp(1_600_000_000, 0) };

type Outcome = { value: unknown } | { error: string } | { compileError: string };

export function evaluateCel(expr: string): Outcome {
  const { expression, issues } = compileExpression(cerbosEnvironment(), expr);
  if (!expression) return { compileError: issues.map((i) => i.message).join("; ") };
  const v = expression.evaluate(bindings, ctx);
  if (v instanceof CelError) return { error: v.message };
  // Gatehouse's opaque types (net.IP, hierarchy, ...) print as the REPL shows them.
  if (typeof v === "object" && v !== null && "celTypeName" in v) {
    return { value: (v as unknown as { toString(): string }).toString() };
  }
  const j = toJsonValue(v);
  return j instanceof CelError ? { error: `json: ${j.message}` } : { value: j };
}

export function celCases(name: string, cases: readonly CelCase[]): void {
  describe(name, () => {
    for (const [expr, want, pending] of cases) {
      test(expr, pending ? { todo: pending } : {}, () => {
        const got = evaluateCel(expr);
        if ("value" in want) assert.deepEqual(got, { value: want.value });
        else if ("error" in want) assert.deepEqual(got, { error: want.error });
        else {
          assert.ok(
            !("value" in got),
            `cerbos rejects this at compile time (${want.rejected}); got a value`,
          );
          // Literal arguments Cerbos checks at compile time fail the same way at run time here.
          const literal = /^invalid (ip|cidr) argument: (.*)$/.exec(want.rejected);
          if (literal && "error" in got) assert.equal(got.error, literal[2]);
        }
      });
    }
  });
}
