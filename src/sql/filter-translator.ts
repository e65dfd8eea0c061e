// Translates a PlanResources condition tree into SQL, operator by operator, keeping CEL's
// meaning (see plan-filter.ts for the rules). Every plan value becomes a bound parameter.

import { sql } from "kysely";
import type { RawBuilder, SqlBool } from "kysely";
import type { PlanExpression, PlanOperand } from "../authz/planner/types.ts";
import type { Principal } from "../authz/engine/types.ts";
import type { JsonValue } from "../authz/policy/model.ts";
import {
  BOOLEAN_OPERATORS,
  FALSE,
  FLIPPED,
  NULL_BOOL,
  ORDERINGS,
  STRING_FUNCTIONS,
  TRUE,
  celTypeOf,
  joinAnd,
  joinOr,
  lambdaOf,
  literalEquals,
  literalOrder,
} from "./filter-values.ts";
import type { JsonElement, Native, Pred, Scope, Source, Value } from "./filter-values.ts";
import { PlanFilterSqlError } from "./sql-types.ts";
import type {
  AttributeType,
  ColumnMapping,
  ColumnSpec,
  PlanFilterSqlOptions,
  SqlDialectName,
} from "./sql-types.ts";

/** One filter's translation; holds the dialect, the mapping and the lambda alias counter. */
export class Translator {
  private readonly dialect: SqlDialectName;
  private readonly columns: ColumnMapping;
  private readonly principal: Principal | undefined;
  private aliases = 0;
  /** Predicates that are never NULL (no error possible): quantifiers then skip their error scan. */
  private readonly total = new WeakSet<RawBuilder<SqlBool>>();

  private markTotal(p: RawBuilder<SqlBool>, isTotal = true): RawBuilder<SqlBool> {
    if (isTotal) this.total.add(p);
    return p;
  }

  private isTotal(p: RawBuilder<SqlBool>): boolean {
    return p === TRUE || p === FALSE || this.total.has(p);
  }

  constructor(options: PlanFilterSqlOptions) {
    this.dialect = options.dialect;
    this.columns = options.columns;
    this.principal = options.principal;
    if (this.dialect !== "postgres" && this.dialect !== "sqlite") {
      const d: string = this.dialect;
      throw new PlanFilterSqlError("INVALID_FILTER", d, `unknown sql dialect \`${d}\``);
    }
  }

  private get pg(): boolean {
    return this.dialect === "postgres";
  }

  // ---- boolean positions ----------------------------------------------------------------

  condition(operand: PlanOperand, scope: Scope): RawBuilder<SqlBool> {
    if ("expression" in operand) {
      const e = operand.expression;
      switch (e.operator) {
        case "and":
        case "or": {
          if (e.operands.length === 0) {
            throw new PlanFilterSqlError(
              "INVALID_FILTER",
              e.operator,
              `\`${e.operator}\` without operands`,
            );
          }
          const parts = e.operands.map((o) => this.condition(o, scope));
          const joined = e.operator === "and" ? joinAnd(parts) : joinOr(parts);
          return this.markTotal(
            joined,
            parts.every((p) => this.isTotal(p)),
          );
        }
        case "not": {
          const [only, ...rest] = e.operands;
          if (!only || rest.length > 0) {
            throw new PlanFilterSqlError(
              "INVALID_FILTER",
              "not",
              "`not` takes exactly one operand",
            );
          }
          const inner = this.condition(only, scope);
          return this.markTotal(sql<SqlBool>`(NOT ${inner})`, this.isTotal(inner));
        }
        case "if": {
          // CEL's conditional: an error in the condition is the result; else the chosen branch.
          const [c, yes, no, ...rest] = e.operands;
          if (!c || !yes || !no || rest.length > 0) {
            throw new PlanFilterSqlError("INVALID_FILTER", "if", "`if` takes three operands");
          }
          const test = this.condition(c, scope);
          return sql<SqlBool>`(CASE WHEN ${test} IS NULL THEN NULL WHEN ${test} THEN ${this.condition(yes, scope)} ELSE ${this.condition(no, scope)} END)`;
        }
        default:
          return this.leaf(e, scope);
      }
    }
    const v = this.value(operand, scope);
    return this.guard(this.truthy(v), this.guardsOf([v]));
  }

  /** A leaf predicate, NULL (error) when it reads an absent attribute. */
  private leaf(e: PlanExpression, scope: Scope): RawBuilder<SqlBool> {
    const operands = e.operands;
    const two = (): [Value, Value] => {
      const [a, b, ...rest] = operands;
      if (!a || !b || rest.length > 0) {
        throw new PlanFilterSqlError(
          "INVALID_FILTER",
          e.operator,
          `\`${e.operator}\` takes two operands`,
        );
      }
      return [this.value(a, scope), this.value(b, scope)];
    };
    switch (e.operator) {
      case "eq":
      case "ne": {
        const [a, b] = two();
        const p = this.equals(a, b);
        const guarded = this.guard(p, this.guardsOf([a, b]));
        return e.operator === "eq" ? guarded : sql<SqlBool>`(NOT ${guarded})`;
      }
      case "lt":
      case "le":
      case "gt":
      case "ge": {
        const [a, b] = two();
        return this.guard(this.ordering(e.operator, a, b), this.guardsOf([a, b]));
      }
      case "in": {
        const [a, b] = two();
        return this.guard(this.member(a, b), this.guardsOf([a, b]));
      }
      case "hasIntersection": {
        const [a, b] = two();
        // Symmetric: quantify over the column side, so the literal side becomes an IN list.
        const [l, r] = a.k === "lit" && b.k !== "lit" ? [b, a] : [a, b];
        const p = this.quantify("exists", this.source(l, e.operator), (x) =>
          this.guard(this.member(x, r), this.guardsOf([r])),
        );
        return this.guard({ sql: p, strict: false }, this.guardsOf([l, r]));
      }
      case "isSubset": {
        const [a, b] = two();
        const p = this.quantify("all", this.source(a, e.operator), (x) =>
          this.guard(this.member(x, b), this.guardsOf([b])),
        );
        return this.guard({ sql: p, strict: false }, this.guardsOf([a, b]));
      }
      case "exists":
      case "all":
      case "exists_one": {
        const [range, fn, ...rest] = operands;
        if (!range || rest.length > 0) {
          throw new PlanFilterSqlError(
            "INVALID_FILTER",
            e.operator,
            `\`${e.operator}\` takes two operands`,
          );
        }
        const { body, name } = lambdaOf(e, fn);
        const src = this.source(this.value(range, scope), e.operator);
        const p = this.quantify(e.operator, src, (x) =>
          this.condition(body, new Map([...scope, [name, x]])),
        );
        return this.guard({ sql: p, strict: false }, src.guards);
      }
      default:
        if (STRING_FUNCTIONS.has(e.operator)) {
          const [a, b] = two();
          return this.guard(this.stringFunction(e.operator, a, b), this.guardsOf([a, b]));
        }
        throw new PlanFilterSqlError(
          "UNSUPPORTED_OPERATOR",
          e.operator,
          `operator \`${e.operator}\` has no SQL translation`,
        );
    }
  }

  /** Wraps a predicate so that an absent guarded attribute makes it NULL (a CEL error). */
  private guard(pred: Pred, guards: readonly RawBuilder<unknown>[]): RawBuilder<SqlBool> {
    if (pred.strict || guards.length === 0) return pred.sql;
    const absent = joinOr(guards.map((g) => sql<SqlBool>`${g} IS NULL`));
    return sql<SqlBool>`(CASE WHEN ${absent} THEN NULL ELSE ${pred.sql} END)`;
  }

  private guardsOf(values: readonly Value[]): RawBuilder<unknown>[] {
    const out: RawBuilder<unknown>[] = [];
    for (const v of values) {
      if (v.k !== "lit") out.push(...v.guards);
    }
    return out;
  }

  private static strictOf(values: readonly Value[]): boolean {
    return values.every(
      (v) =>
        v.k === "lit" ||
        v.k === "source" ||
        v.guards.length === 0 ||
        (v.k === "native" && v.strict),
    );
  }

  /** A value in a boolean position: true, false, or an error for anything not a bool. */
  private truthy(v: Value): Pred {
    switch (v.k) {
      case "lit":
        return { sql: v.v === true ? TRUE : v.v === false ? FALSE : NULL_BOOL, strict: true };
      case "native":
        if (v.list || (v.type !== undefined && v.type !== "boolean")) {
          return { sql: NULL_BOOL, strict: true };
        }
        return { sql: sql<SqlBool>`(${v.sql} = TRUE)`, strict: Translator.strictOf([v]) };
      case "json":
        return {
          sql: this.jsonTyped(v, "boolean", (x) => sql<SqlBool>`${x} = TRUE`, NULL_BOOL),
          strict: true,
        };
      case "source":
        return { sql: NULL_BOOL, strict: true };
    }
  }

  // ---- comparisons ----------------------------------------------------------------------

  private equals(a: Value, b: Value): Pred {
    if (a.k === "lit" && Array.isArray(a.v) && b.k !== "lit") return this.equalsList(b, a.v);
    if (b.k === "lit" && Array.isArray(b.v) && a.k !== "lit") return this.equalsList(a, b.v);
    if (
      a.k === "source" ||
      b.k === "source" ||
      (a.k === "native" && a.list) ||
      (b.k === "native" && b.list)
    ) {
      throw new PlanFilterSqlError(
        "UNSUPPORTED_OPERAND",
        "eq",
        "equality of lists has no SQL translation",
      );
    }
    if (a.k === "lit" && b.k === "lit")
      return { sql: literalEquals(a.v, b.v) ? TRUE : FALSE, strict: true };
    if (b.k === "lit") return this.equalsLiteral(a as Native | JsonElement, b.v);
    if (a.k === "lit") return this.equalsLiteral(b, a.v);
    // Two SQL values.
    if (a.k === "native" && b.k === "native") {
      if (a.type && b.type && a.type !== b.type) return { sql: FALSE, strict: false };
      if (a.nullIsValue || b.nullIsValue) {
        const op = this.pg ? sql`IS NOT DISTINCT FROM` : sql`IS`;
        return { sql: this.markTotal(sql<SqlBool>`(${a.sql} ${op} ${b.sql})`), strict: false };
      }
      return { sql: sql<SqlBool>`(${a.sql} = ${b.sql})`, strict: Translator.strictOf([a, b]) };
    }
    if (a.k === "json" && b.k === "json") {
      if (this.pg) return { sql: sql<SqlBool>`(${a.sql} = ${b.sql})`, strict: true };
      const numeric = sql`('integer', 'real')`;
      return {
        sql: sql<SqlBool>`((${a.typeSql} = ${b.typeSql} OR (${a.typeSql} IN ${numeric} AND ${b.typeSql} IN ${numeric})) AND ${a.sql} IS ${b.sql})`,
        strict: Translator.strictOf([a, b]),
      };
    }
    const [j, n] = (a.k === "json" ? [a, b] : [b, a]) as [JsonElement, Native];
    if (!n.type) {
      throw new PlanFilterSqlError(
        "UNSUPPORTED_OPERAND",
        n.path,
        `comparing \`${n.path}\` with a list element needs the column's \`type\``,
      );
    }
    const eq = this.jsonTyped(j, n.type, (x) => sql<SqlBool>`${x} = ${n.sql}`, FALSE);
    return { sql: eq, strict: false };
  }

  /** A list compared with a literal list: same length, equal elements in order. */
  private equalsList(x: Value, items: readonly JsonValue[]): Pred {
    const n = items.length;
    const compare = (
      length: RawBuilder<unknown>,
      elem: (i: number) => Native | JsonElement,
    ): RawBuilder<SqlBool> =>
      joinAnd([
        sql<SqlBool>`${length} = ${this.param(n)}`,
        ...items.map((item, i) => this.equalsLiteral(elem(i), item).sql),
      ]);
    const jsonAt = (list: RawBuilder<unknown>, i: number): JsonElement =>
      this.pg
        ? {
            k: "json",
            sql: sql`(${list} -> CAST(${i} AS integer))`,
            typeSql: undefined,
            guards: [],
          }
        : {
            k: "json",
            sql: sql`json_extract(${list}, ${`$[${i}]`})`,
            typeSql: sql`json_type(${list}, ${`$[${i}]`})`,
            guards: [],
          };
    switch (x.k) {
      case "native": {
        if (x.list === "array" && this.pg) {
          const at = (i: number): Native => ({
            ...x,
            sql: sql`(${x.sql})[CAST(${i + 1} AS integer)]`,
            guards: [],
            nullIsValue: true,
            list: undefined,
          });
          return { sql: compare(sql`cardinality(${x.sql})`, at), strict: false };
        }
        if (x.list === "json") {
          const list = this.pg ? sql`CAST(${x.sql} AS jsonb)` : x.sql;
          const length = this.pg
            ? sql`jsonb_array_length(${list})`
            : sql`json_array_length(${list})`;
          return { sql: compare(length, (i) => jsonAt(list, i)), strict: false };
        }
        if (x.type !== undefined) return { sql: FALSE, strict: false };
        throw new PlanFilterSqlError(
          "UNSUPPORTED_OPERAND",
          x.path,
          `comparing \`${x.path}\` with a list needs its \`list\` or \`type\` option`,
        );
      }
      case "json": {
        const isArray = this.pg
          ? sql`jsonb_typeof(${x.sql}) = 'array'`
          : sql`${x.typeSql} = 'array'`;
        const length = this.pg
          ? sql`jsonb_array_length(${x.sql})`
          : sql`json_array_length(${x.sql})`;
        const body = compare(length, (i) => jsonAt(x.sql, i));
        return {
          sql: sql<SqlBool>`(CASE WHEN ${isArray} THEN ${body} ELSE FALSE END)`,
          strict: Translator.strictOf([x]),
        };
      }
      default:
        throw new PlanFilterSqlError(
          "UNSUPPORTED_OPERAND",
          "eq",
          "equality of lists has no SQL translation",
        );
    }
  }

  private equalsLiteral(x: Native | JsonElement, v: JsonValue): Pred {
    const t = celTypeOf(v);
    if (t === "list" || t === "map") {
      throw new PlanFilterSqlError(
        "UNSUPPORTED_OPERAND",
        "eq",
        "equality with a list or map value has no SQL translation",
      );
    }
    if (x.k === "json") {
      if (t === "null") return { sql: this.jsonIsNull(x), strict: true };
      return {
        sql: this.markTotal(
          this.jsonTyped(x, t, (e) => sql<SqlBool>`${e} = ${this.param(v)}`, FALSE),
          x.guards.length === 0,
        ),
        strict: Translator.strictOf([x]),
      };
    }
    if (t === "null") {
      return x.nullIsValue
        ? { sql: this.markTotal(sql<SqlBool>`(${x.sql} IS NULL)`), strict: true }
        : { sql: FALSE, strict: false };
    }
    if (x.type && x.type !== t) return { sql: FALSE, strict: false };
    const cmp = sql<SqlBool>`(${x.sql} = ${this.param(v)})`;
    if (x.nullIsValue) {
      return { sql: this.markTotal(sql<SqlBool>`COALESCE(${cmp}, FALSE)`), strict: true };
    }
    return { sql: cmp, strict: Translator.strictOf([x]) };
  }

  private ordering(op: string, a: Value, b: Value): Pred {
    if (
      a.k === "source" ||
      b.k === "source" ||
      (a.k === "native" && a.list) ||
      (b.k === "native" && b.list)
    ) {
      throw new PlanFilterSqlError(
        "UNSUPPORTED_OPERAND",
        op,
        `\`${op}\` over lists has no SQL translation`,
      );
    }
    if (a.k === "lit" && b.k === "lit") return { sql: literalOrder(op, a.v, b.v), strict: true };
    if (a.k === "lit") return this.ordering(FLIPPED[op] as string, b, a);
    const sqlOp = sql.raw(ORDERINGS[op] as string);
    if (b.k === "lit") {
      const t = celTypeOf(b.v);
      if (t !== "string" && t !== "number" && t !== "boolean")
        return { sql: NULL_BOOL, strict: true };
      const p = this.param(b.v);
      const collate = t === "string" && this.pg ? sql` COLLATE "C"` : sql``;
      if (a.k === "json") {
        return {
          sql: this.jsonTyped(a, t, (x) => sql<SqlBool>`${x}${collate} ${sqlOp} ${p}`, NULL_BOOL),
          strict: true,
        };
      }
      if (a.type && a.type !== t) return { sql: NULL_BOOL, strict: true };
      return {
        sql: sql<SqlBool>`(${a.sql}${collate} ${sqlOp} ${p})`,
        strict: Translator.strictOf([a]),
      };
    }
    if (a.k === "native" && b.k === "native") {
      if (a.type && b.type && a.type !== b.type) return { sql: NULL_BOOL, strict: true };
      const collate =
        this.pg && (a.type === "string" || b.type === "string") ? sql` COLLATE "C"` : sql``;
      return {
        sql: sql<SqlBool>`(${a.sql}${collate} ${sqlOp} ${b.sql})`,
        strict: Translator.strictOf([a, b]),
      };
    }
    if (a.k === "json" && b.k === "native" && b.type) {
      const collate = this.pg && b.type === "string" ? sql` COLLATE "C"` : sql``;
      return {
        sql: this.jsonTyped(
          a,
          b.type,
          (x) => sql<SqlBool>`${x}${collate} ${sqlOp} ${b.sql}`,
          NULL_BOOL,
        ),
        strict: false,
      };
    }
    if (b.k === "json" && a.k === "native") return this.ordering(FLIPPED[op] as string, b, a);
    throw new PlanFilterSqlError(
      "UNSUPPORTED_OPERAND",
      op,
      `\`${op}\` between values of unknown types has no SQL translation (declare the column \`type\`)`,
    );
  }

  /** `a in b`: b a literal list, a list column or a computed list. */
  private member(a: Value, b: Value): Pred {
    if (b.k === "lit") {
      if (!Array.isArray(b.v)) {
        throw new PlanFilterSqlError("UNSUPPORTED_OPERAND", "in", "`in` needs a list on its right");
      }
      const items = b.v;
      if (a.k === "lit")
        return { sql: items.some((i) => literalEquals(i, a.v)) ? TRUE : FALSE, strict: true };
      if (a.k === "native" && !a.list) {
        const candidates = items.filter((i) => {
          const t = celTypeOf(i);
          return (
            t !== "null" && t !== "list" && t !== "map" && (a.type === undefined || a.type === t)
          );
        });
        const hasNull = a.nullIsValue && items.some((i) => i === null);
        if (candidates.length === 0 && !hasNull) return { sql: FALSE, strict: false };
        const parts: RawBuilder<SqlBool>[] = [];
        if (hasNull) parts.push(this.markTotal(sql<SqlBool>`${a.sql} IS NULL`));
        if (candidates.length > 0) {
          const inList = sql<SqlBool>`(${a.sql} IN (${sql.join(candidates.map((i) => this.param(i)))}))`;
          parts.push(
            a.nullIsValue ? this.markTotal(sql<SqlBool>`COALESCE(${inList}, FALSE)`) : inList,
          );
        }
        return {
          sql: a.nullIsValue ? this.joinOrTotal(parts) : joinOr(parts),
          strict: !a.nullIsValue && parts.length === 1 && Translator.strictOf([a]),
        };
      }
      if (a.k === "json") {
        return {
          sql: this.joinOrTotal(items.map((i) => this.equalsLiteral(a, i).sql)),
          strict: Translator.strictOf([a]),
        };
      }
      throw new PlanFilterSqlError(
        "UNSUPPORTED_OPERAND",
        "in",
        "`in` with a list on its left has no SQL translation",
      );
    }
    const src = this.source(b, "in");
    return {
      sql: this.quantify("exists", src, (x) => this.guard(this.equals(x, a), this.guardsOf([a]))),
      strict: false,
    };
  }

  private stringFunction(op: string, a: Value, b: Value): Pred {
    if (a.k === "lit" && b.k === "lit") {
      if (typeof a.v !== "string" || typeof b.v !== "string")
        return { sql: NULL_BOOL, strict: true };
      const r =
        op === "startsWith"
          ? a.v.startsWith(b.v)
          : op === "endsWith"
            ? a.v.endsWith(b.v)
            : a.v.includes(b.v);
      return { sql: r ? TRUE : FALSE, strict: true };
    }
    const build = (s: RawBuilder<unknown>, n: RawBuilder<unknown>): RawBuilder<SqlBool> => {
      if (this.pg) {
        if (op === "startsWith") return sql<SqlBool>`starts_with(${s}, ${n})`;
        if (op === "endsWith") return sql<SqlBool>`(right(${s}, char_length(${n})) = ${n})`;
        return sql<SqlBool>`(strpos(${s}, ${n}) > 0)`;
      }
      if (op === "startsWith") return sql<SqlBool>`(substr(${s}, 1, length(${n})) = ${n})`;
      if (op === "endsWith") {
        return sql<SqlBool>`(length(${s}) >= length(${n}) AND substr(${s}, length(${s}) - length(${n}) + 1) = ${n})`;
      }
      return sql<SqlBool>`(instr(${s}, ${n}) > 0)`;
    };
    const operandOf = (v: Value, then: (x: RawBuilder<unknown>) => Pred): Pred => {
      switch (v.k) {
        case "lit":
          return typeof v.v === "string" ? then(this.param(v.v)) : { sql: NULL_BOOL, strict: true };
        case "native":
          if (v.list || (v.type && v.type !== "string")) return { sql: NULL_BOOL, strict: true };
          return then(v.sql);
        case "json": {
          const inner = { current: undefined as Pred | undefined };
          const s = this.jsonTyped(
            v,
            "string",
            (x) => {
              inner.current = then(x);
              return inner.current.sql;
            },
            NULL_BOOL,
          );
          return { sql: s, strict: inner.current?.strict ?? true };
        }
        case "source":
          throw new PlanFilterSqlError(
            "UNSUPPORTED_OPERAND",
            op,
            `\`${op}\` over a list has no SQL translation`,
          );
      }
    };
    return operandOf(a, (s) =>
      operandOf(b, (n) => ({ sql: build(s, n), strict: Translator.strictOf([a, b]) })),
    );
  }

  // ---- lists ----------------------------------------------------------------------------

  /** A list value as rows to quantify over. */
  private source(v: Value, op: string): Source {
    switch (v.k) {
      case "source":
        return v;
      case "lit": {
        if (!Array.isArray(v.v)) {
          throw new PlanFilterSqlError(
            "UNSUPPORTED_OPERAND",
            op,
            `\`${op}\` needs a list, got \`${JSON.stringify(v.v)}\``,
          );
        }
        return this.jsonSource(
          this.pg ? sql`CAST(${JSON.stringify(v.v)} AS jsonb)` : sql`${JSON.stringify(v.v)}`,
          [],
        );
      }
      case "native": {
        if (v.list === "json") {
          return this.jsonSource(
            this.pg ? sql`CAST(${v.sql} AS jsonb)` : v.sql,
            v.guards.length > 0 ? v.guards : [v.sql],
          );
        }
        if (v.list === "array") {
          if (!this.pg) {
            throw new PlanFilterSqlError(
              "UNSUPPORTED_OPERAND",
              v.path,
              `\`${v.path}\`: list "array" columns need PostgreSQL; use "json" on SQLite`,
            );
          }
          const alias = this.alias();
          return {
            k: "source",
            from: sql`unnest(${v.sql}) AS ${sql.id(alias)}(v)`,
            elem: {
              k: "native",
              sql: sql.ref(`${alias}.v`),
              type: v.type,
              guards: [],
              strict: true,
              nullIsValue: true,
              list: undefined,
              path: `${v.path}[]`,
            },
            where: [],
            errorIf: [],
            guards: v.guards.length > 0 ? v.guards : [v.sql],
          };
        }
        throw new PlanFilterSqlError(
          "UNSUPPORTED_OPERAND",
          v.path,
          `\`${op}\` needs \`${v.path}\` to be a list column (set its \`list\` option)`,
        );
      }
      case "json": {
        // A list inside a JSON element: anything but an array (or an absent field) is an error.
        if (this.pg) {
          const src = this.jsonSource(
            sql`(CASE WHEN jsonb_typeof(${v.sql}) = 'array' THEN ${v.sql} ELSE '[]'::jsonb END)`,
            [],
          );
          return {
            ...src,
            errorIf: [sql<SqlBool>`(jsonb_typeof(${v.sql}) IS DISTINCT FROM 'array')`],
          };
        }
        const src = this.jsonSource(
          sql`(CASE WHEN ${v.typeSql} = 'array' THEN ${v.sql} ELSE '[]' END)`,
          [],
        );
        return { ...src, errorIf: [sql<SqlBool>`(${v.typeSql} IS NOT 'array')`] };
      }
    }
  }

  /** A field of a JSON element (`x.countries` in a lambda over a JSON list). */
  private field(e: JsonElement, name: string, path: string): JsonElement {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new PlanFilterSqlError("UNSUPPORTED_OPERAND", path, `field name in \`${path}\``);
    }
    if (this.pg) {
      // NULL when the element is no object or lacks the field; JSON null stays 'null'::jsonb.
      const s = sql`(${e.sql} -> CAST(${name} AS text))`;
      return { k: "json", sql: s, typeSql: undefined, guards: [s] };
    }
    const jsonPath = `$."${name}"`;
    const typeSql = sql`(CASE WHEN ${e.typeSql} = 'object' THEN json_type(${e.sql}, ${jsonPath}) END)`;
    const value = sql`(CASE WHEN ${e.typeSql} = 'object' THEN json_extract(${e.sql}, ${jsonPath}) END)`;
    return { k: "json", sql: value, typeSql, guards: [typeSql] };
  }

  private jsonSource(list: RawBuilder<unknown>, guards: readonly RawBuilder<unknown>[]): Source {
    const alias = this.alias();
    if (this.pg) {
      return {
        k: "source",
        from: sql`jsonb_array_elements(${list}) AS ${sql.id(alias)}(v)`,
        elem: { k: "json", sql: sql.ref(`${alias}.v`), typeSql: undefined, guards: [] },
        where: [],
        errorIf: [],
        guards,
      };
    }
    return {
      k: "source",
      from: sql`json_each(${list}) AS ${sql.id(alias)}`,
      elem: {
        k: "json",
        sql: sql.ref(`${alias}.value`),
        typeSql: sql.ref(`${alias}.type`),
        guards: [],
      },
      where: [],
      errorIf: [],
      guards,
    };
  }

  private alias(): string {
    this.aliases += 1;
    return `_e${this.aliases}`;
  }

  private select(
    src: Source,
    what: RawBuilder<unknown>,
    extra: RawBuilder<SqlBool>,
  ): RawBuilder<unknown> {
    return sql`(SELECT ${what} FROM ${src.from} WHERE ${joinAnd([...src.where, extra])})`;
  }

  /**
   * exists/all/exists_one over a source with CEL's error rules: exists is true if some element
   * is true, else an error if some element errs; all is false if some element is false, else an
   * error if some errs; exists_one errs on any error.
   */
  private joinOrTotal(parts: readonly RawBuilder<SqlBool>[]): RawBuilder<SqlBool> {
    return this.markTotal(
      joinOr(parts),
      parts.every((p) => this.isTotal(p)),
    );
  }

  private quantify(
    op: string,
    src: Source,
    bodyOf: (elem: Value) => RawBuilder<SqlBool>,
  ): RawBuilder<SqlBool> {
    const body = bodyOf(src.elem);
    const any = (cond: RawBuilder<SqlBool>): RawBuilder<SqlBool> =>
      sql<SqlBool>`EXISTS ${this.select(src, sql`1`, cond)}`;
    const failed =
      src.errorIf.length > 0 ? sql<SqlBool>`WHEN ${joinOr(src.errorIf)} THEN NULL ` : sql``;
    // An element whose predicate errs, unless the predicate cannot err.
    const erring = this.isTotal(body)
      ? sql``
      : sql<SqlBool>`WHEN ${any(sql`(${body}) IS NULL`)} THEN NULL `;
    switch (op) {
      case "exists":
        return sql<SqlBool>`(CASE ${failed}WHEN ${any(sql`(${body}) IS TRUE`)} THEN TRUE ${erring}ELSE FALSE END)`;
      case "all":
        return sql<SqlBool>`(CASE ${failed}WHEN ${any(sql`(${body}) IS FALSE`)} THEN FALSE ${erring}ELSE TRUE END)`;
      case "exists_one":
        return sql<SqlBool>`(CASE ${failed}${erring}WHEN ${this.select(src, sql`COUNT(*)`, sql`(${body}) IS TRUE`)} = 1 THEN TRUE ELSE FALSE END)`;
      default:
        throw new PlanFilterSqlError(
          "UNSUPPORTED_OPERATOR",
          op,
          `operator \`${op}\` has no SQL translation`,
        );
    }
  }

  // ---- values ---------------------------------------------------------------------------

  private value(operand: PlanOperand, scope: Scope): Value {
    if ("value" in operand) return { k: "lit", v: operand.value };
    if ("variable" in operand) return this.variable(operand.variable, scope);
    const e = operand.expression;
    switch (e.operator) {
      case "size": {
        const [only, ...rest] = e.operands;
        if (!only || rest.length > 0)
          throw new PlanFilterSqlError("INVALID_FILTER", "size", "`size` takes one operand");
        return this.size(this.value(only, scope));
      }
      case "timestamp": {
        const [only, ...rest] = e.operands;
        if (!only || rest.length > 0) {
          throw new PlanFilterSqlError(
            "INVALID_FILTER",
            "timestamp",
            "`timestamp` takes one operand",
          );
        }
        return this.timestamp(
          "variable" in only && !scope.has(only.variable.split(".")[0] ?? "")
            ? this.variable(only.variable, scope, true)
            : this.value(only, scope),
        );
      }
      case "struct":
        return this.struct(e, scope);
      case "get-field":
      case "index":
        return this.selectField(e, scope);
      case "lowerAscii":
      case "upperAscii": {
        const [only, ...rest] = e.operands;
        if (!only || rest.length > 0) {
          throw new PlanFilterSqlError(
            "INVALID_FILTER",
            e.operator,
            `\`${e.operator}\` takes one operand`,
          );
        }
        return this.asciiCase(e.operator === "lowerAscii", this.value(only, scope));
      }
      case "filter": {
        const [range, fn, ...rest] = e.operands;
        if (!range || rest.length > 0)
          throw new PlanFilterSqlError("INVALID_FILTER", "filter", "`filter` takes two operands");
        const { body, name } = lambdaOf(e, fn);
        const src = this.source(this.value(range, scope), "filter");
        const pred = this.condition(body, new Map([...scope, [name, src.elem]]));
        const failing = sql<SqlBool>`EXISTS ${this.select(src, sql`1`, sql<SqlBool>`(${pred}) IS NULL`)}`;
        return {
          ...src,
          where: [...src.where, sql<SqlBool>`(${pred}) IS TRUE`],
          errorIf: [...src.errorIf, failing],
        };
      }
      default: {
        // Any boolean-valued operator may stand as a value (e.g. `eq(x, not(y))`).
        if (BOOLEAN_OPERATORS.has(e.operator) || STRING_FUNCTIONS.has(e.operator)) {
          return {
            k: "native",
            sql: this.condition(operand, scope),
            type: "boolean",
            guards: [],
            strict: true,
            nullIsValue: false,
            list: undefined,
            path: e.operator,
          };
        }
        throw new PlanFilterSqlError(
          "UNSUPPORTED_OPERATOR",
          e.operator,
          `operator \`${e.operator}\` has no SQL translation`,
        );
      }
    }
  }

  private size(v: Value): Value {
    const number = (
      s: RawBuilder<unknown>,
      guards: readonly RawBuilder<unknown>[],
      strict: boolean,
      path: string,
    ): Native => ({
      k: "native",
      sql: s,
      type: "number",
      guards,
      strict,
      nullIsValue: false,
      list: undefined,
      path,
    });
    switch (v.k) {
      case "lit":
        if (typeof v.v === "string") return { k: "lit", v: [...v.v].length };
        if (Array.isArray(v.v)) return { k: "lit", v: v.v.length };
        if (v.v !== null && typeof v.v === "object")
          return { k: "lit", v: Object.keys(v.v).length };
        throw new PlanFilterSqlError("UNSUPPORTED_OPERAND", "size", "`size` of a scalar value");
      case "native": {
        const guards = v.nullIsValue ? [] : v.guards;
        if (v.list === "array") return number(sql`cardinality(${v.sql})`, guards, true, v.path);
        if (v.list === "json") {
          return number(
            this.pg
              ? sql`jsonb_array_length(CAST(${v.sql} AS jsonb))`
              : sql`json_array_length(${v.sql})`,
            guards,
            true,
            v.path,
          );
        }
        if (v.type !== undefined && v.type !== "string") {
          throw new PlanFilterSqlError(
            "UNSUPPORTED_OPERAND",
            v.path,
            `\`size\` of \`${v.path}\`, a ${v.type}`,
          );
        }
        return number(
          this.pg ? sql`char_length(${v.sql})` : sql`length(${v.sql})`,
          guards,
          v.strict,
          v.path,
        );
      }
      case "source": {
        const count = this.select(v, sql`COUNT(*)`, TRUE);
        const s =
          v.errorIf.length > 0
            ? sql`(CASE WHEN ${joinOr(v.errorIf)} THEN NULL ELSE ${count} END)`
            : count;
        return number(s, v.guards, false, "size");
      }
      case "json": {
        // CEL's size of a string, list or map; anything else is an error (NULL).
        const s = this.pg
          ? sql`(CASE jsonb_typeof(${v.sql}) WHEN 'array' THEN jsonb_array_length(${v.sql}) WHEN 'string' THEN char_length(${v.sql} #>> '{}') WHEN 'object' THEN (SELECT COUNT(*) FROM jsonb_object_keys(${v.sql})) END)`
          : sql`(CASE ${v.typeSql} WHEN 'array' THEN json_array_length(${v.sql}) WHEN 'text' THEN length(${v.sql}) WHEN 'object' THEN (SELECT COUNT(*) FROM json_each(${v.sql})) END)`;
        return number(s, v.guards, true, "size");
      }
    }
  }

  private variable(name: string, scope: Scope, asTimestamp = false): Value {
    const bound = scope.get(name);
    if (bound) return bound;
    const [head = "", ...fields] = name.split(".");
    const base = fields.length > 0 ? scope.get(head) : undefined;
    if (base) {
      if (base.k !== "json") {
        throw new PlanFilterSqlError(
          "UNSUPPORTED_OPERAND",
          name,
          `field \`${name}\` of a list element has no SQL translation (map the list as "json")`,
        );
      }
      return fields.reduce((e, f) => this.field(e, f, name), base);
    }
    const path = name.startsWith("R.attr.")
      ? `request.resource.attr.${name.slice("R.attr.".length)}`
      : name === "R.id"
        ? "request.resource.id"
        : name;
    const known = this.principalValue(name);
    if (known) return known;
    const found =
      typeof this.columns === "function"
        ? this.columns(path)
        : Object.hasOwn(this.columns, path)
          ? this.columns[path]
          : undefined;
    if (found === undefined) {
      throw new PlanFilterSqlError(
        "UNMAPPED_ATTRIBUTE",
        path,
        `attribute \`${path}\` has no column in the mapping`,
      );
    }
    const spec: ColumnSpec = typeof found === "string" ? { column: found } : found;
    if (spec.type === "timestamp" && (!asTimestamp || spec.list)) {
      throw new PlanFilterSqlError(
        "UNSUPPORTED_OPERAND",
        path,
        `\`${path}\` is stored as a timestamp, but the plan reads it as a string: only \`timestamp(${path})\` has a translation`,
      );
    }
    const ref = typeof spec.column === "string" ? sql.ref(spec.column) : sql`${spec.column}`;
    const nullIsValue = spec.nulls === "null";
    return {
      k: "native",
      sql: ref,
      type: spec.type,
      guards: nullIsValue && !spec.list ? [] : [ref],
      strict: true,
      nullIsValue: nullIsValue && !spec.list,
      list: spec.list,
      path,
    };
  }

  /**
   * `request.principal.*` (or `P.*`) from the principal given in the options: a literal, or an
   * error (NULL) for an attribute the principal lacks, as CEL would have it.
   */
  private principalValue(name: string): Value | undefined {
    if (!this.principal) return undefined;
    const rest = name.startsWith("request.principal.")
      ? name.slice("request.principal.".length)
      : name.startsWith("P.")
        ? name.slice("P.".length)
        : undefined;
    if (rest === undefined) return undefined;
    const [head, ...fields] = rest.split(".");
    let value: JsonValue | undefined;
    if (head === "id" && fields.length === 0) value = this.principal.id;
    else if (head === "roles" && fields.length === 0) value = [...this.principal.roles];
    else if (head === "attr" && fields.length > 0) {
      value = this.principal.attr ?? {};
      for (const f of fields) {
        value =
          value !== null &&
          typeof value === "object" &&
          !Array.isArray(value) &&
          Object.hasOwn(value, f)
            ? value[f]
            : undefined;
        if (value === undefined) break;
      }
    } else return undefined;
    return value !== undefined ? { k: "lit", v: value } : this.errorValue(name);
  }

  /** A value whose evaluation is a CEL error: NULL, and a NULL guard for every leaf reading it. */
  private errorValue(path: string): Native {
    const absent = sql`NULL`;
    return {
      k: "native",
      sql: absent,
      type: undefined,
      guards: [absent],
      strict: true,
      nullIsValue: false,
      list: undefined,
      path,
    };
  }

  /** `struct(set-field(k, v)...)` of literals: a literal map. */
  private struct(e: PlanExpression, scope: Scope): Value {
    const map: Record<string, JsonValue> = {};
    for (const entry of e.operands) {
      const set = "expression" in entry ? entry.expression : undefined;
      const [k, v, ...rest] = set?.operator === "set-field" ? set.operands : [];
      const key = k && "value" in k ? k.value : undefined;
      const value = v ? this.value(v, scope) : undefined;
      if (typeof key !== "string" || value?.k !== "lit" || rest.length > 0) {
        throw new PlanFilterSqlError(
          "UNSUPPORTED_OPERAND",
          "struct",
          "a map built from anything but literals has no SQL translation",
        );
      }
      map[key] = value.v;
    }
    return { k: "lit", v: map };
  }

  /** `get-field(target, name)` and `index(target, key)`: a field or element of a literal or a JSON element. */
  private selectField(e: PlanExpression, scope: Scope): Value {
    const [target, key, ...rest] = e.operands;
    const name =
      key && e.operator === "get-field" && "variable" in key
        ? key.variable
        : key && "value" in key
          ? key.value
          : undefined;
    if (!target || rest.length > 0 || (typeof name !== "string" && typeof name !== "number")) {
      throw new PlanFilterSqlError(
        "UNSUPPORTED_OPERAND",
        e.operator,
        `\`${e.operator}\` with a computed key has no SQL translation`,
      );
    }
    const base = this.value(target, scope);
    if (base.k === "lit") {
      const v = base.v;
      const found =
        Array.isArray(v) && typeof name === "number"
          ? v[name]
          : v !== null &&
              typeof v === "object" &&
              !Array.isArray(v) &&
              typeof name === "string" &&
              Object.hasOwn(v, name)
            ? v[name]
            : undefined;
      return found !== undefined
        ? { k: "lit", v: found }
        : this.errorValue(`${e.operator} ${name}`);
    }
    if (base.k === "json" && typeof name === "string")
      return this.field(base, name, `${e.operator} ${name}`);
    throw new PlanFilterSqlError(
      "UNSUPPORTED_OPERAND",
      e.operator,
      `\`${e.operator}\` of a column has no SQL translation (map the nested attribute by its path)`,
    );
  }

  /** CEL's `timestamp(x)` of a string (RFC 3339) or a number (Unix seconds), as a SQL time. */
  private timestamp(v: Value): Native {
    const time = (s: RawBuilder<unknown>, guards: readonly RawBuilder<unknown>[]): Native => ({
      k: "native",
      sql: s,
      type: "timestamp",
      guards,
      strict: true,
      nullIsValue: false,
      list: undefined,
      path: "timestamp",
    });
    const fromText = (s: RawBuilder<unknown>): RawBuilder<unknown> =>
      this.pg ? sql`CAST(${s} AS timestamptz)` : sql`unixepoch(${s}, 'subsec')`;
    const fromSeconds = (s: RawBuilder<unknown>): RawBuilder<unknown> =>
      this.pg ? sql`to_timestamp(${s})` : s;
    switch (v.k) {
      case "lit":
        if (typeof v.v === "string") return time(fromText(sql`${v.v}`), []);
        if (typeof v.v === "number") return time(fromSeconds(this.param(v.v)), []);
        break;
      case "native":
        if (v.list) break;
        if (v.type === "timestamp") return time(this.pg ? v.sql : fromText(v.sql), v.guards);
        if (v.type === undefined || v.type === "string") return time(fromText(v.sql), v.guards);
        if (v.type === "number") return time(fromSeconds(v.sql), v.guards);
        break;
      case "json": {
        const text = this.pg ? sql`(${v.sql} #>> '{}')` : v.sql;
        const isString = this.pg
          ? sql`jsonb_typeof(${v.sql}) = 'string'`
          : sql`${v.typeSql} = 'text'`;
        return time(sql`(CASE WHEN ${isString} THEN ${fromText(text)} END)`, v.guards);
      }
      case "source":
        break;
    }
    throw new PlanFilterSqlError(
      "UNSUPPORTED_OPERAND",
      "timestamp",
      "`timestamp` of something other than a string or a number has no SQL translation",
    );
  }

  /** CEL's lowerAscii/upperAscii: only ASCII letters change. */
  private asciiCase(lower: boolean, v: Value): Value {
    const op = lower ? "lowerAscii" : "upperAscii";
    const upperLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const lowerLetters = upperLetters.toLowerCase();
    const convert = (s: RawBuilder<unknown>): RawBuilder<unknown> => {
      // SQLite's lower() and upper() change ASCII letters only; PostgreSQL's follow the locale.
      if (!this.pg) return lower ? sql`lower(${s})` : sql`upper(${s})`;
      const [from, to] = lower ? [upperLetters, lowerLetters] : [lowerLetters, upperLetters];
      return sql`translate(${s}, ${sql.raw(`'${from}'`)}, ${sql.raw(`'${to}'`)})`;
    };
    const text = (
      s: RawBuilder<unknown>,
      guards: readonly RawBuilder<unknown>[],
      path: string,
    ): Native => ({
      k: "native",
      sql: s,
      type: "string",
      guards,
      strict: true,
      nullIsValue: false,
      list: undefined,
      path,
    });
    switch (v.k) {
      case "lit":
        if (typeof v.v !== "string") break;
        return {
          k: "lit",
          v: v.v.replace(/[A-Za-z]/g, (c) => (lower ? c.toLowerCase() : c.toUpperCase())),
        };
      case "native":
        if (v.list || (v.type !== undefined && v.type !== "string")) break;
        return text(convert(v.sql), v.nullIsValue ? [] : v.guards, v.path);
      case "json": {
        const s = this.pg ? sql`(${v.sql} #>> '{}')` : v.sql;
        const isString = this.pg
          ? sql`jsonb_typeof(${v.sql}) = 'string'`
          : sql`${v.typeSql} = 'text'`;
        return text(sql`(CASE WHEN ${isString} THEN ${convert(s)} END)`, v.guards, op);
      }
      case "source":
        break;
    }
    throw new PlanFilterSqlError(
      "UNSUPPORTED_OPERAND",
      op,
      `\`${op}\` of something other than a string`,
    );
  }

  /** A literal as a bound parameter, typed where PostgreSQL cannot infer it. */
  private param(v: JsonValue): RawBuilder<unknown> {
    if (typeof v === "number") {
      if (!this.pg) return sql`${v}`;
      return Number.isSafeInteger(v)
        ? sql`CAST(${v} AS bigint)`
        : sql`CAST(${String(v)} AS numeric)`;
    }
    if (typeof v === "boolean") return this.pg ? sql`CAST(${v} AS boolean)` : sql`${v ? 1 : 0}`;
    if (typeof v === "string") return sql`${v}`;
    throw new PlanFilterSqlError(
      "UNSUPPORTED_OPERAND",
      JSON.stringify(v),
      `value \`${JSON.stringify(v)}\` cannot be a SQL parameter`,
    );
  }

  /** `then(native)` when the JSON element has CEL type `t`, else `otherwise`. */
  private jsonTyped(
    e: JsonElement,
    t: AttributeType,
    then: (native: RawBuilder<unknown>) => RawBuilder<SqlBool>,
    otherwise: RawBuilder<SqlBool>,
  ): RawBuilder<SqlBool> {
    if (this.pg) {
      const jsonType = t === "string" ? "string" : t === "number" ? "number" : "boolean";
      const native =
        t === "string"
          ? sql`(${e.sql} #>> '{}')`
          : t === "number"
            ? sql`CAST(${e.sql} #>> '{}' AS numeric)`
            : sql`CAST(${e.sql} #>> '{}' AS boolean)`;
      return sql<SqlBool>`(CASE WHEN jsonb_typeof(${e.sql}) = ${sql.raw(`'${jsonType}'`)} THEN ${then(native)} ELSE ${otherwise} END)`;
    }
    const check =
      t === "string"
        ? sql`${e.typeSql} = 'text'`
        : t === "number"
          ? sql`${e.typeSql} IN ('integer', 'real')`
          : sql`${e.typeSql} IN ('true', 'false')`;
    return sql<SqlBool>`(CASE WHEN ${check} THEN ${then(e.sql)} ELSE ${otherwise} END)`;
  }

  private jsonIsNull(e: JsonElement): RawBuilder<SqlBool> {
    return this.pg
      ? sql<SqlBool>`(jsonb_typeof(${e.sql}) = 'null')`
      : sql<SqlBool>`(${e.typeSql} = 'null')`;
  }
}
