// Shared pieces of the differential tests that compare Gatehouse's CEL with @bufbuild/cel's
// interpreter: converting values between the two representations, comparing results exactly
// (types included), and fast-check generators of random inputs and of expressions that read
// them the way Cerbos conditions read request attributes.

import {
  celUint,
  isCelError,
  isCelList,
  isCelMap as isBufMap,
  isCelType,
  isCelUint,
  type CelInput,
} from "@bufbuild/cel";
import { create, isMessage } from "@bufbuild/protobuf";
import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import fc from "fast-check";
import {
  CelDuration,
  CelError,
  CelTimestamp,
  CelTypeValue,
  CelUint,
  isCelMap,
  mapEntries,
  T,
  type CelMapKey,
  type CelResult,
  type CelType,
  type CelValue,
} from "./index.ts";
import { runtimeTypeName } from "./maps.ts";

// ---------------------------------------------------------------------------------------------
// Values across the two representations

/** Converts a Gatehouse value to an @bufbuild/cel binding. */
export function toBufInput(v: CelValue): CelInput {
  if (v instanceof CelUint) return celUint(v.value);
  if (v instanceof CelTimestamp)
    return create(TimestampSchema, { seconds: BigInt(v.seconds), nanos: v.nanos });
  if (v instanceof CelDuration)
    return create(DurationSchema, { seconds: BigInt(v.seconds), nanos: v.nanos });
  if (Array.isArray(v)) return (v as readonly CelValue[]).map(toBufInput);
  if (v !== null && typeof v === "object" && !(v instanceof Uint8Array) && isCelMap(v)) {
    const m = new Map<string | bigint | boolean, CelInput>();
    for (const [k, x] of mapEntries(v)) {
      if (x instanceof CelError) throw new Error("error inside an input map");
      m.set(k as string | bigint | boolean, toBufInput(x));
    }
    return m;
  }
  return v as CelInput;
}

/** Converts an @bufbuild/cel result to Gatehouse's representation. */
export function fromBuf(v: unknown): CelResult {
  if (isCelError(v)) return new CelError(v.message);
  if (isCelUint(v)) return new CelUint(v.value);
  if (isCelList(v)) return [...v].map((x) => fromBuf(x) as CelValue);
  if (isBufMap(v)) {
    const m = new Map<CelMapKey, CelValue>();
    for (const [k, x] of v) m.set(isCelUint(k) ? new CelUint(k.value) : k, fromBuf(x) as CelValue);
    return m;
  }
  if (isCelType(v)) return new CelTypeValue(v.name);
  if (v !== null && typeof v === "object" && "message" in v) {
    const msg: unknown = v.message;
    if (isMessage(msg, TimestampSchema)) return new CelTimestamp(Number(msg.seconds), msg.nanos);
    if (isMessage(msg, DurationSchema)) return new CelDuration(Number(msg.seconds), msg.nanos);
  }
  return v as CelValue;
}

function keyString(k: CelValue): string {
  if (k instanceof CelUint) return `${k.value}u`;
  return typeof k === "string" || typeof k === "bigint" || typeof k === "boolean"
    ? `${typeof k}:${k}`
    : "other";
}

/**
 * Exact equality of two results: same CEL types all the way down (1 and 1.0 and 1u differ),
 * doubles compared with Object.is (NaN equals NaN, -0.0 differs from 0.0), maps regardless of
 * entry order. Any two errors are the same result: messages are not compared.
 */
export function sameResult(a: CelResult, b: CelResult): boolean {
  if (a instanceof CelError || b instanceof CelError)
    return a instanceof CelError && b instanceof CelError;
  const kind = runtimeTypeName(a);
  if (kind !== runtimeTypeName(b)) return false;
  switch (kind) {
    case "double":
      return Object.is(a, b);
    case "uint":
      return (a as CelUint).value === (b as CelUint).value;
    case "bytes": {
      const x = a as Uint8Array;
      const y = b as Uint8Array;
      return x.length === y.length && x.every((n, i) => n === y[i]);
    }
    case "google.protobuf.Timestamp":
    case "google.protobuf.Duration": {
      const x = a as CelTimestamp | CelDuration;
      const y = b as CelTimestamp | CelDuration;
      return x.seconds === y.seconds && x.nanos === y.nanos;
    }
    case "type":
      return (a as CelTypeValue).name === (b as CelTypeValue).name;
    case "list": {
      const x = a as readonly CelValue[];
      const y = b as readonly CelValue[];
      return x.length === y.length && x.every((v, i) => sameResult(v, y[i] as CelValue));
    }
    case "map": {
      const x = mapEntries(a as never);
      const y = new Map(mapEntries(b as never).map(([k, v]) => [keyString(k), v]));
      if (x.length !== y.size) return false;
      return x.every(([k, v]) => {
        const w = y.get(keyString(k));
        return w !== undefined && sameResult(v, w);
      });
    }
    case "bool":
    case "int":
    case "string":
    case "null_type":
      return a === b;
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Random inputs

/** The variables generated expressions read, declared as a Cerbos condition would see them. */
export const INPUT_VARIABLES: Readonly<Record<string, CelType>> = {
  a: T.dyn,
  m: T.map(T.string, T.dyn),
  xs: T.list(T.dyn),
  i: T.int,
  s: T.string,
  d: T.double,
  u: T.uint,
  b: T.bytes,
  t: T.timestamp,
  du: T.duration,
};

export type InputBindings = Readonly<Record<string, CelValue>>;

/** Map keys come from a small pool so that selections such as `m.k` often find something. */
export const KEYS = ["k", "x", "y", "nested", "é", ""] as const;

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;
const MIN_TS = -62135596800;
const MAX_TS = 253402300799;
// cel-go keeps durations in a Go time.Duration: int64 nanoseconds, about 292 years.
const MAX_DURATION_SECONDS = 9_223_372_035;

const intValue = fc.oneof(
  fc.constantFrom(0n, 1n, -1n, 2n, 3n, 7n, -13n, 100n, INT64_MAX, INT64_MIN, 2n ** 32n, 2n ** 62n),
  fc.bigInt({ min: -1000n, max: 1000n }),
  fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
);
const doubleValue = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 1.5, -2.25, 0.1, 2, 3, 7, 1e10, 1e300, -1e300, 2 ** 63, 2 ** 64),
  fc.constantFrom(Number.NaN, Infinity, -Infinity),
  fc.double(),
  fc.integer({ min: -1000, max: 1000 }),
);
const stringValue = fc.oneof(
  fc.constantFrom(...KEYS, "a", "ab", "héllo", "😀", "a😀b", "1", "-7", "1.5", "true"),
  fc.string({ maxLength: 6 }),
  fc.string({ unit: "grapheme", maxLength: 4 }),
);
const uintValue = fc
  .oneof(
    fc.constantFrom(0n, 1n, 2n, 7n, UINT64_MAX, 2n ** 63n),
    fc.bigInt({ min: 0n, max: UINT64_MAX }),
  )
  .map((n) => new CelUint(n));
const bytesValue = fc.oneof(
  fc.constantFrom(new Uint8Array(), new Uint8Array([97, 98])),
  fc.uint8Array({ maxLength: 4 }),
);
const timestampValue = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(0, 1, -1, 1_700_000_000, MIN_TS, MAX_TS),
      fc.integer({ min: MIN_TS, max: MAX_TS }),
    ),
    fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 999_999_999 })),
  )
  .map(([s, n]) => new CelTimestamp(s, n));
const durationValue = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(0, 1, -1, 3600, 86400, MAX_DURATION_SECONDS, -MAX_DURATION_SECONDS),
      fc.integer({ min: -MAX_DURATION_SECONDS, max: MAX_DURATION_SECONDS }),
    ),
    fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 999_999_999 })),
  )
  // Seconds and nanos share a sign.
  .map(([s, n]) => new CelDuration(s, s < 0 ? -n : s === 0 ? 0 : n));

/** JSON-like request attributes: what a Cerbos condition sees in `R.attr`. */
const { jsonValue } = fc.letrec<{ jsonValue: CelValue }>((tie) => ({
  jsonValue: fc.oneof(
    { depthSize: "small", maxDepth: 3 },
    intValue,
    doubleValue,
    stringValue,
    fc.boolean(),
    fc.constant(null),
    uintValue,
    bytesValue,
    fc.array(tie("jsonValue"), { maxLength: 4 }),
    fc
      .tuple(
        fc.dictionary(fc.constantFrom(...KEYS), tie("jsonValue"), { maxKeys: 4 }),
        fc.boolean(),
      )
      // JSON objects arrive as plain objects; maps built elsewhere are Maps.
      .map(([o, plain]): CelValue => (plain ? o : new Map(Object.entries(o)))),
  ),
}));

/** Mostly small ints (arithmetic on them stays in range), now and then any int64. */
const smallInt = fc.oneof(
  { arbitrary: fc.bigInt({ min: -100n, max: 100n }), weight: 9 },
  { arbitrary: intValue, weight: 1 },
);
const smallUint = fc.oneof(
  { arbitrary: fc.bigInt({ min: 0n, max: 100n }).map((n) => new CelUint(n)), weight: 9 },
  { arbitrary: uintValue, weight: 1 },
);
const shortString = fc.oneof(
  { arbitrary: fc.constantFrom(...KEYS, "a", "ab", "héllo", "a😀b", "xyz"), weight: 3 },
  { arbitrary: fc.string({ maxLength: 5 }), weight: 1 },
);
const intList = fc.array(smallInt, { minLength: 1, maxLength: 4 });

/** The typical value, with now and then any JSON-like value (a run-time type mismatch). */
function usually(typical: fc.Arbitrary<CelValue>): fc.Arbitrary<CelValue> {
  return fc.oneof({ arbitrary: typical, weight: 7 }, { arbitrary: jsonValue, weight: 1 });
}

/**
 * A map under the shared key vocabulary that expressions read: `k` usually holds an int, `x` a
 * string, `y` a non-empty list of ints and `nested` another such map. Each key is usually
 * present (absent keys exercise the missing-key errors); `é` and `` rarely.
 */
function shapedMap(depth: number): fc.Arbitrary<CelValue> {
  const entries: [string, fc.Arbitrary<CelValue>, number][] = [
    ["k", usually(smallInt), 8],
    ["x", usually(shortString), 8],
    ["y", usually(intList), 6],
    ["é", jsonValue, 2],
    ["", jsonValue, 2],
  ];
  if (depth > 0) entries.push(["nested", usually(shapedMap(depth - 1)), 7]);
  return fc
    .tuple(
      fc.tuple(
        ...entries.map(([key, arb, freq]) =>
          fc.option(arb, { nil: undefined, freq: freq + 1 }).map((v) => [key, v] as const),
        ),
      ),
      fc.boolean(),
    )
    .map(([kvs, plain]) => {
      const present = kvs.flatMap(([k, v]) =>
        v === undefined ? [] : [[k, v] as [string, CelValue]],
      );
      // JSON objects arrive as plain objects; maps built elsewhere are Maps.
      return plain ? Object.fromEntries(present) : new Map(present);
    });
}

export const inputBindings: fc.Arbitrary<InputBindings> = fc.record({
  // Timestamps and durations only at the top level: @bufbuild/cel converts them lazily out of
  // input lists and maps, which fails once its evaluation has returned.
  a: fc.oneof(
    { arbitrary: jsonValue, weight: 6 },
    { arbitrary: smallInt, weight: 2 },
    { arbitrary: shapedMap(1), weight: 2 },
    timestampValue,
    durationValue,
  ),
  m: fc.oneof(
    { arbitrary: shapedMap(2), weight: 6 },
    fc.dictionary(fc.constantFrom(...KEYS), jsonValue, { maxKeys: 5 }),
  ),
  xs: fc.oneof({ arbitrary: intList, weight: 3 }, fc.array(jsonValue, { maxLength: 5 })),
  i: smallInt,
  s: stringValue,
  d: doubleValue,
  u: smallUint,
  b: bytesValue,
  t: timestampValue,
  du: durationValue,
});

// ---------------------------------------------------------------------------------------------
// Random expressions

const INT_LITERALS = [
  "0",
  "1",
  "-1",
  "2",
  "7",
  "-13",
  "9223372036854775807",
  "-9223372036854775808",
];
const DOUBLE_LITERALS = ["0.0", "-0.0", "1.0", "1.5", "-2.25", "1e10", "1e300", "0.1"];
const STRING_LITERALS = ["''", "'k'", "'x'", "'a'", "'ab'", "'héllo'", "'😀'", "'1'", "'1.5'"];
const OTHER_LITERALS = ["true", "false", "null", "0u", "1u", "18446744073709551615u", "b'ab'"];
const REGEXES = ["'^a'", "'b$'", "'a+'", "'^[a-z]*$'", "'\\\\d'", "'.'", "''", "'(x|y)'"];
const TYPED_VARIABLES = ["i", "s", "d", "u", "b", "t", "du"];
const SELECTABLE_KEYS = ["k", "x", "y", "nested"];
const TYPE_NAMES = ["int", "uint", "double", "string", "bool", "bytes", "list", "map", "null_type"];
const ITER_VARS = ["v", "w"];

function pick<A>(xs: readonly A[]): fc.Arbitrary<A> {
  return fc.constantFrom(...xs);
}

/** Half the time, hides the static type of an operand so that the checker lets it through. */
function maybeDyn(arb: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(arb, fc.boolean()).map(([x, wrap]) => (wrap ? `dyn(${x})` : x));
}

function memo<R>(f: (depth: number, scope: readonly string[]) => R) {
  const cache = new Map<string, R>();
  return (depth: number, scope: readonly string[]): R => {
    const key = `${depth}/${scope.join(",")}`;
    let r = cache.get(key);
    if (r === undefined) {
      r = f(depth, scope);
      cache.set(key, r);
    }
    return r;
  };
}

/**
 * Expressions of any type (mostly dyn: they read the inputs), `depth` levels deep, where
 * `scope` holds the comprehension variables in scope.
 */
const term: (depth: number, scope: readonly string[]) => fc.Arbitrary<string> = memo(
  (depth, scope) => {
    // Typed leaves make most random combinations ill-typed; wrapping half of them in dyn()
    // defers the type question to run time, which is where the two evaluators can differ.
    const typed = maybeDyn(
      pick([
        ...TYPED_VARIABLES,
        ...INT_LITERALS,
        ...DOUBLE_LITERALS,
        ...STRING_LITERALS,
        ...OTHER_LITERALS,
      ]),
    );
    const leaf = fc.oneof(
      { arbitrary: pick(["a", "m", "xs", "a", "m.k", "xs[0]"]), weight: 4 },
      { arbitrary: typed, weight: 4 },
      { arbitrary: pick(SELECTABLE_KEYS).map((k) => `m.${k}`), weight: 3 },
      { arbitrary: pick(KEYS).map((k) => `m['${k}']`), weight: 2 },
      { arbitrary: pick(["0", "1", "i", "-1"]).map((n) => `xs[${n}]`), weight: 2 },
      { arbitrary: pick(SELECTABLE_KEYS).map((k) => `a.${k}`), weight: 1 },
      { arbitrary: pick(SELECTABLE_KEYS).map((k) => `m.nested.${k}`), weight: 1 },
      ...(scope.length > 0 ? [{ arbitrary: pick(scope), weight: 6 }] : []),
    );
    if (depth === 0) return leaf;
    const sub = maybeDyn(term(depth - 1, scope));
    const cond = pred(depth - 1, scope);
    const inner = scope.length < ITER_VARS.length ? ITER_VARS[scope.length] : undefined;
    const branches: fc.Arbitrary<string>[] = [
      leaf,
      leaf,
      fc.tuple(sub, pick(["+", "-", "*", "/", "%"]), sub).map(([x, op, y]) => `(${x} ${op} ${y})`),
      sub.map((x) => `(-${x})`),
      fc.tuple(cond, sub, sub).map(([c, x, y]) => `(${c} ? ${x} : ${y})`),
      fc
        .tuple(pick(["int", "uint", "double", "string", "dyn", "size"]), sub)
        .map(([f, x]) => `${f}(${x})`),
      fc.tuple(sub, sub).map(([x, y]) => `${x}[${y}]`),
      fc.array(sub, { maxLength: 3 }).map((xs) => `[${xs.join(", ")}]`),
      fc.tuple(pick(KEYS), sub).map(([k, x]) => `{'${k}': ${x}}`),
      fc.tuple(sub, sub).map(([x, y]) => `${x}.size() + size(${y})`),
    ];
    if (inner !== undefined) {
      const body = term(depth - 1, [...scope, inner]);
      const bodyCond = pred(depth - 1, [...scope, inner]);
      const range = fc.oneof(pick(["xs", "m", "a", "m.nested", "[1, 2.0, 3u]"]), sub);
      branches.push(
        fc.tuple(range, body).map(([r, e]) => `${r}.map(${inner}, ${e})`),
        fc.tuple(range, bodyCond).map(([r, p]) => `${r}.filter(${inner}, ${p})`),
        fc.tuple(range, bodyCond, body).map(([r, p, e]) => `${r}.map(${inner}, ${p}, ${e})`),
      );
    }
    return fc.oneof(...branches);
  },
);

/** Boolean-valued expressions (when their operands have the right types). */
const pred: (depth: number, scope: readonly string[]) => fc.Arbitrary<string> = memo(
  (depth, scope) => {
    const leafTerm = term(0, scope);
    const leaf = fc.oneof(
      pick(["true", "false", "a", "m.k", "xs[0]"]),
      pick([...SELECTABLE_KEYS]).map((k) => `has(m.${k})`),
      pick([...SELECTABLE_KEYS]).map((k) => `has(a.${k})`),
      pick([...SELECTABLE_KEYS]).map((k) => `has(m.nested.${k})`),
      fc
        .tuple(leafTerm, pick(["==", "!=", "<", "<=", ">", ">="]), leafTerm)
        .map(([x, op, y]) => `${x} ${op} ${y}`),
      fc
        .tuple(leafTerm, pick(["xs", "m", "a", "[1, 2.0, 3u]", "m.nested"]))
        .map(([x, c]) => `${x} in ${c}`),
    );
    if (depth === 0) return leaf;
    const sub = maybeDyn(term(depth - 1, scope));
    const p = pred(depth - 1, scope);
    const inner = scope.length < ITER_VARS.length ? ITER_VARS[scope.length] : undefined;
    const branches: fc.Arbitrary<string>[] = [
      leaf,
      fc
        .tuple(sub, pick(["==", "!=", "<", "<=", ">", ">="]), sub)
        .map(([x, op, y]) => `(${x} ${op} ${y})`),
      fc.tuple(sub, sub).map(([x, y]) => `(${x} in ${y})`),
      fc.tuple(p, pick(["&&", "||"]), p).map(([x, op, y]) => `(${x} ${op} ${y})`),
      p.map((x) => `!(${x})`),
      fc.tuple(p, p, p).map(([c, x, y]) => `(${c} ? ${x} : ${y})`),
      fc
        .tuple(sub, pick(["contains", "startsWith", "endsWith"]), sub)
        .map(([x, f, y]) => `${x}.${f}(${y})`),
      fc.tuple(sub, pick(REGEXES)).map(([x, r]) => `${x}.matches(${r})`),
      fc.tuple(sub, pick(TYPE_NAMES)).map(([x, t]) => `type(${x}) == ${t}`),
    ];
    if (inner !== undefined) {
      const body = pred(depth - 1, [...scope, inner]);
      const range = fc.oneof(pick(["xs", "m", "a", "m.nested", "[1, 2.0, 3u]"]), sub);
      branches.push(
        fc
          .tuple(range, pick(["all", "exists", "exists_one"]), body)
          .map(([r, f, e]) => `${r}.${f}(${inner}, ${e})`),
      );
    }
    return fc.oneof(...branches);
  },
);

/** Time arithmetic and accessors over the timestamp and duration inputs. */
const timeTerm: fc.Arbitrary<string> = fc.oneof(
  pick([
    "t + du",
    "t - du",
    "du + du",
    "du - du",
    "t - t",
    "-du",
    "t < t + du",
    "t == t",
    "du < duration('1h')",
    "t + duration('1s')",
    "t - timestamp('2024-01-01T00:00:00Z')",
    "string(t)",
    "string(du)",
    "int(t)",
    "t.getFullYear()",
    "t.getMonth()",
    "t.getDayOfYear()",
    "t.getDayOfWeek()",
    "t.getHours()",
    "t.getMilliseconds()",
    "du.getHours()",
    "du.getSeconds()",
    "du.getMilliseconds()",
    "timestamp(string(t)) == t",
    "duration(string(du)) == du",
    "timestamp(i)",
    "duration(s)",
    "timestamp(s)",
    "a + du",
    "a - t",
    "t < a",
    "type(t) == google.protobuf.Timestamp",
  ]),
  fc
    .tuple(
      pick(["t", "du", "a", "m.k"]),
      pick(["+", "-", "<", "==", "!="]),
      pick(["t", "du", "a", "m.k"]),
    )
    .map(([x, op, y]) => `${x} ${op} ${y}`),
);

// Type-directed expressions: each generator yields an expression that usually has the named
// type at run time, so that most evaluations produce a value. They read the inputs through the
// shared key vocabulary (m.k is usually an int, m.x a string, m.y a list of ints), guard the
// dyn input `a` with type tests, divide mostly by non-zero constants and keep ints small; the
// untyped generators above mix in for the error paths.

type Ty = "int" | "uint" | "double" | "string" | "bool" | "list" | "map";
type Scope = readonly (readonly [string, Ty])[];

const SMALL_INTS = ["0", "1", "2", "3", "7", "-1", "-13", "100"];
const DIVISORS = ["2", "3", "7", "-1", "-5"];

const typedMemo = new Map<string, fc.Arbitrary<string>>();

/** Expressions of type `ty`, `depth` levels deep, with comprehension variables in `scope`. */
function typed(ty: Ty, depth: number, scope: Scope): fc.Arbitrary<string> {
  const key = `${ty}/${depth}/${scope.map(([n, t]) => `${n}:${t}`).join(",")}`;
  let r = typedMemo.get(key);
  if (r === undefined) {
    r = makeTyped(ty, depth, scope);
    typedMemo.set(key, r);
  }
  return r;
}

type Weighted = { arbitrary: fc.Arbitrary<string>; weight: number };

function makeTyped(ty: Ty, depth: number, scope: Scope): fc.Arbitrary<string> {
  const vars = scope.filter(([, t]) => t === ty).map(([n]) => n);
  const leaves: Weighted[] = [];
  const w = (arbitrary: fc.Arbitrary<string>, weight = 1): Weighted => ({ arbitrary, weight });
  if (vars.length > 0) leaves.push(w(pick(vars), 4));
  switch (ty) {
    case "int":
      leaves.push(
        w(pick(["i", "m.k", "m.nested.k", "xs[0]", "m.y[0]", "size(s)", "size(xs)"]), 4),
        w(pick(SMALL_INTS), 3),
        w(pick(["9223372036854775807", "-9223372036854775808", "i * 100000000000"])),
        w(pick(["(type(a) == int ? a : 0)", "(type(m.k) == int ? m.k : -1)", "m.y.size()"])),
      );
      break;
    case "uint":
      leaves.push(w(pick(["u", "0u", "1u", "7u", "18446744073709551615u"]), 3));
      break;
    case "double":
      leaves.push(
        w(pick(["d", "0.5", "1.0", "-2.25", "1e10", "0.1"]), 3),
        w(pick(["(type(a) == double ? a : 1.5)", "double(i)", "double(m.k)"])),
      );
      break;
    case "string":
      leaves.push(
        w(pick(["s", "m.x", "m.nested.x", "'k'", "'x'", "'ab'", "'héllo'", "''", "'😀'"]), 4),
        w(pick(["(type(a) == string ? a : 'a')", "string(i)", "string(u)", "string(d)"])),
      );
      break;
    case "bool":
      leaves.push(
        w(pick(["true", "false", "has(m.k)", "has(m.nested.x)", "'k' in m", "'y' in m"]), 3),
        w(pick(["type(a) == int", "type(a) == map", "has(a.k)", "i in m.y", "xs[0] in m.y"])),
      );
      break;
    case "list":
      leaves.push(
        w(pick(["m.y", "xs", "m.nested.y", "[1, 2, 3]", "[]"]), 3),
        w(pick(["(type(a) == list ? a : [0])"])),
      );
      break;
    case "map":
      leaves.push(w(pick(["m", "m.nested", "{'k': 1}", "(type(a) == map ? a : {})"]), 3));
      break;
  }
  const leaf = fc.oneof(...leaves);
  if (depth === 0) return leaf;

  const d = depth - 1;
  const sub = (t: Ty) => typed(t, d, scope);
  const same = sub(ty);
  const cond = sub("bool");
  const branches: Weighted[] = [
    w(leaf, 3),
    w(fc.tuple(cond, same, same).map(([c, x, y]) => `(${c} ? ${x} : ${y})`)),
  ];
  const inner = scope.length < ITER_VARS.length ? ITER_VARS[scope.length] : undefined;
  switch (ty) {
    case "int":
      branches.push(
        w(
          fc.tuple(same, pick(["+", "-", "*"]), same).map(([x, o, y]) => `(${x} ${o} ${y})`),
          3,
        ),
        w(fc.tuple(same, pick(["/", "%"]), pick(DIVISORS)).map(([x, o, y]) => `(${x} ${o} ${y})`)),
        w(fc.tuple(same, pick(["/", "%"]), same).map(([x, o, y]) => `(${x} ${o} ${y})`)),
        w(same.map((x) => `(-${x})`)),
        w(sub("string").map((x) => `size(${x})`)),
        w(sub("list").map((x) => `${x}.size()`)),
        w(fc.tuple(sub("list"), pick(["0", "1", "-1"])).map(([l, n]) => `${l}[${n}]`)),
        w(sub("double").map((x) => `int(${x})`)),
        w(sub("uint").map((x) => `int(${x})`)),
        w(pick(["'12'", "'-7'", "s", "m.x"]).map((x) => `int(${x})`)),
        w(sub("map").map((x) => `${x}.k`)),
      );
      break;
    case "uint":
      branches.push(
        w(
          fc.tuple(same, pick(["+", "-", "*"]), same).map(([x, o, y]) => `(${x} ${o} ${y})`),
          2,
        ),
        w(
          fc
            .tuple(same, pick(["/", "%"]), pick(["2u", "3u"]))
            .map(([x, o, y]) => `(${x} ${o} ${y})`),
        ),
        w(sub("int").map((x) => `uint(${x})`)),
      );
      break;
    case "double":
      branches.push(
        w(
          fc.tuple(same, pick(["+", "-", "*", "/"]), same).map(([x, o, y]) => `(${x} ${o} ${y})`),
          3,
        ),
        w(same.map((x) => `(-${x})`)),
        w(sub("int").map((x) => `double(${x})`)),
        w(sub("uint").map((x) => `double(${x})`)),
        w(pick(["'1.5'", "'-0.25'", "s"]).map((x) => `double(${x})`)),
      );
      break;
    case "string":
      branches.push(
        w(
          fc.tuple(same, same).map(([x, y]) => `(${x} + ${y})`),
          2,
        ),
        w(sub("int").map((x) => `string(${x})`)),
        w(sub("double").map((x) => `string(${x})`)),
        w(sub("map").map((x) => `${x}.x`)),
        w(fc.tuple(sub("list"), pick(["0", "1"])).map(([l, n]) => `string(${l}[${n}])`)),
      );
      break;
    case "bool": {
      const cmp = (t: Ty) =>
        fc
          .tuple(sub(t), pick(["==", "!=", "<", "<=", ">", ">="]), sub(t))
          .map(([x, o, y]) => `(${x} ${o} ${y})`);
      // Error absorption: an operand that often fails, next to one that decides the outcome.
      const failing = pred(
        Math.min(d, 1),
        scope.map(([n]) => n),
      );
      branches.push(
        w(cmp("int"), 2),
        w(cmp("string")),
        w(cmp("double")),
        w(cmp("uint")),
        w(
          fc
            .tuple(sub("int"), pick(["==", "<", ">="]), sub("double"))
            .map(([x, o, y]) => `(${x} ${o} ${y})`),
        ),
        w(
          fc.tuple(same, pick(["&&", "||"]), same).map(([x, o, y]) => `(${x} ${o} ${y})`),
          2,
        ),
        w(
          fc
            .tuple(failing, pick(["&&", "||"]), same, fc.boolean())
            .map(([x, o, y, flip]) => (flip ? `(${y} ${o} ${x})` : `(${x} ${o} ${y})`)),
          2,
        ),
        w(fc.tuple(failing, same, same).map(([c, x, y]) => `(${c} ? ${x} : ${y})`)),
        w(same.map((x) => `!${x}`)),
        w(
          fc
            .tuple(sub("string"), pick(["contains", "startsWith", "endsWith"]), sub("string"))
            .map(([x, f, y]) => `${x}.${f}(${y})`),
        ),
        w(fc.tuple(sub("string"), pick(REGEXES)).map(([x, r]) => `${x}.matches(${r})`)),
        w(fc.tuple(sub("int"), sub("list")).map(([x, l]) => `(${x} in ${l})`)),
        w(fc.tuple(sub("string"), sub("map")).map(([x, l]) => `(${x} in ${l})`)),
      );
      if (inner !== undefined) {
        const body = typed("bool", d, [...scope, [inner, "int"]]);
        const keyBody = typed("bool", d, [...scope, [inner, "string"]]);
        branches.push(
          w(
            fc
              .tuple(sub("list"), pick(["all", "exists", "exists_one"]), body)
              .map(([r, f, e]) => `${r}.${f}(${inner}, ${e})`),
            2,
          ),
          w(
            fc
              .tuple(sub("map"), pick(["all", "exists"]), keyBody)
              .map(([r, f, e]) => `${r}.${f}(${inner}, ${e})`),
          ),
        );
      }
      break;
    }
    case "list":
      branches.push(
        w(fc.array(sub("int"), { maxLength: 3 }).map((xs) => `[${xs.join(", ")}]`)),
        // `same` may hide a list of other elements behind dyn(), which the checker still types
        // as list(int): calls on the elements must test their types at run time.
        w(fc.tuple(same, same).map(([x, y]) => `(${x} + ${y})`)),
      );
      if (inner !== undefined) {
        const scoped = [...scope, [inner, "int"] as const];
        branches.push(
          w(
            fc.tuple(same, typed("int", d, scoped)).map(([r, e]) => `${r}.map(${inner}, ${e})`),
            2,
          ),
          w(
            fc.tuple(same, typed("bool", d, scoped)).map(([r, p]) => `${r}.filter(${inner}, ${p})`),
          ),
        );
      }
      break;
    case "map":
      branches.push(
        w(
          fc
            .tuple(sub("int"), sub("string"), sub("list"))
            .map(([k, x, y]) => `{'k': ${k}, 'x': ${x}, 'y': ${y}}`),
        ),
        w(same.map((x) => `${x}.nested`)),
      );
      break;
  }
  return fc.oneof(...branches);
}

/** Expressions that mostly evaluate to a value, of every type. */
const typedExpression: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: typed("bool", 3, []), weight: 4 },
  { arbitrary: typed("int", 3, []), weight: 3 },
  { arbitrary: typed("string", 2, []), weight: 1 },
  { arbitrary: typed("double", 2, []), weight: 1 },
  { arbitrary: typed("uint", 2, []), weight: 1 },
  { arbitrary: typed("list", 2, []), weight: 1 },
  { arbitrary: typed("map", 2, []), weight: 1 },
);

/**
 * Generated expressions: mostly type-directed ones, mixed with untyped terms and predicates
 * (which mostly fail at run time: missing keys, type mismatches, overflow) and time expressions.
 */
export const inputExpression: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: typedExpression, weight: 20 },
  { arbitrary: term(3, []), weight: 2 },
  { arbitrary: pred(3, []), weight: 2 },
  { arbitrary: timeTerm, weight: 1 },
);
