// Compiles policy expressions with the Cerbos CEL environment, once per distinct text and
// known values it reads (10,000 policies often share a handful of expressions, and constants),
// and reads which variables and constants an expression refers to so the compiler can order
// and check them.

import {
  compileExpression,
  type CelIssue,
  type CelValue,
  type CompiledExpression,
  type KnownValues,
} from "../cel/index.ts";
import { cerbosEnvironment } from "../cel/cerbos/index.ts";

export interface ExpressionResult {
  readonly program?: CompiledExpression;
  readonly issues: readonly CelIssue[];
}

export interface ExpressionRefs {
  /** Names read through `V.x` / `variables.x`. */
  readonly variables: readonly string[];
  /** Names read through `C.x` / `constants.x`. */
  readonly constants: readonly string[];
}

export class ExpressionCompiler {
  readonly #cache = new Map<string, ExpressionResult>();
  /** Programs compiled with known values, by source and the known values they read. */
  readonly #specialized = new Map<string, CompiledExpression>();
  readonly #keys = new ValueKeys();

  /**
   * `known` (qualified names such as `C.limit` or `V.x`) are read as literals, so what depends
   * only on them folds. Issues and references do not depend on them.
   */
  compile(source: string, known?: KnownValues): ExpressionResult {
    let r = this.#cache.get(source);
    if (r === undefined) {
      const { expression, issues } = compileExpression(cerbosEnvironment(), source);
      r = expression ? { program: expression, issues } : { issues };
      this.#cache.set(source, r);
    }
    if (r.program === undefined || known === undefined || known.size === 0) return r;
    // Only the known values the expression reads matter, which keeps the cache shared.
    const read = new Map<string, CelValue>();
    for (const chain of r.program.references) {
      const name = chain.length >= 2 ? `${chain[0]}.${chain[1]}` : undefined;
      const value = name === undefined ? undefined : known.get(name);
      if (value !== undefined) read.set(name as string, value);
    }
    if (read.size === 0) return r;
    let key = source;
    for (const [name, value] of read) key += `\u0000${name}=${this.#keys.of(value)}`;
    let program = this.#specialized.get(key);
    if (program === undefined) {
      program = compileExpression(cerbosEnvironment(), source, { known: read }).expression;
      if (program === undefined) throw new Error(`bug: \`${source}\` compiled once but not twice`);
      this.#specialized.set(key, program);
    }
    return { program, issues: r.issues };
  }
}

/**
 * Cache keys for values: JSON-shaped values (constants, most variables) by content, so equal
 * constants of different policies share programs; other objects by identity. Values are never
 * mutated, so each object's key is worked out once.
 */
class ValueKeys {
  readonly #keys = new WeakMap<object, string>();
  #next = 0;

  of(v: CelValue): string {
    switch (typeof v) {
      case "string":
        return JSON.stringify(v);
      case "number":
        return Object.is(v, -0) ? "d-0" : `d${v}`;
      case "bigint":
        return `i${v}`;
      case "boolean":
        return v ? "true" : "false";
      default:
        break;
    }
    if (v === null) return "null";
    let key = this.#keys.get(v);
    if (key === undefined) {
      key = this.#describe(v);
      this.#keys.set(v, key);
    }
    return key;
  }

  #describe(v: object): string {
    if (Array.isArray(v)) return `[${v.map((x) => this.of(x as CelValue)).join(",")}]`;
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) {
      const entries = Object.entries(v as Record<string, CelValue>);
      return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${this.of(x)}`).join(",")}}`;
    }
    return `#${++this.#next}`;
  }
}

export function referencesOf(program: CompiledExpression): ExpressionRefs {
  const variables: string[] = [];
  const constants: string[] = [];
  for (const chain of program.references) {
    const [root, name] = chain;
    if (name === undefined) continue;
    if (root === "V" || root === "variables") {
      if (!variables.includes(name)) variables.push(name);
    } else if (root === "C" || root === "constants") {
      if (!constants.includes(name)) constants.push(name);
    }
  }
  return { variables, constants };
}

/** Cerbos's rendering of CEL issues: `Invalid expression `src`: [msg, msg]`. */
export function describeIssues(source: string, issues: readonly CelIssue[]): string {
  return `Invalid expression \`${source}\`: [${issues.map((i) => i.message).join(", ")}]`;
}
