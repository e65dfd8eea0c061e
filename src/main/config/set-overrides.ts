// `--set key=value` overrides, read as Cerbos reads them: its flag parser splits each argument on
// commas, then Helm's strvals reads every `dotted.path=value` piece. Path segments may index a
// list (`allowedOrigins[0]=x`). Values are typed as Helm types them: `true`/`false` (any case)
// are booleans, `null` is null, whole decimal numbers without a leading zero are integers, and
// everything else is a string (so `1.5`, `010` and `yes` stay strings). Environment references
// are expanded afterwards, as Cerbos expands its override source too.

import type { Diagnostic } from "../../kernel/diagnostic.ts";
import {
  diagnosticAt,
  scalarNode,
  type ConfigNode,
  type Env,
  type MapNode,
  type Place,
} from "./config-tree.ts";

/** Helm's typing of a `--set` value. */
function typedValue(value: string): string | number | boolean | null {
  if (value.toLowerCase() === "true") return true;
  if (value.toLowerCase() === "false") return false;
  if (value === "null") return null;
  if (value === "0") return 0;
  if (value.length > 1 && value.startsWith("0")) return value;
  if (/^[-+]?[0-9]+$/.test(value)) {
    const n = Number.parseInt(value, 10);
    if (Number.isSafeInteger(n)) return n;
  }
  return value;
}

interface Segment {
  readonly key: string;
  readonly indexes: readonly number[];
}

function parsePath(path: string): Segment[] | string {
  if (path === "") return "the key is empty";
  const segments: Segment[] = [];
  for (const part of path.split(".")) {
    const match = /^([^[\]]+)((?:\[[0-9]+\])*)$/.exec(part);
    if (match === null) return `\`${part}\` is not a key (expected \`name\` or \`name[index]\`)`;
    const indexes = [...(match[2] ?? "").matchAll(/\[([0-9]+)\]/g)].map((m) => Number(m[1]));
    if (indexes.some((i) => i > 10_000)) return `an index in \`${part}\` is too large`;
    segments.push({ key: match[1] ?? "", indexes });
  }
  return segments;
}

/** Builds the override tree for one `--set` argument; problems name the argument. */
export function readSetArgument(
  argument: string,
  env: Env,
  diagnostics: Diagnostic[],
): ConfigNode | undefined {
  const place: Place = { file: `--set=${argument}` };
  let root: ConfigNode | undefined;
  for (const piece of argument.split(",")) {
    const eq = piece.indexOf("=");
    if (eq === -1) {
      diagnostics.push(
        diagnosticAt(
          place,
          "invalid override",
          `\`${piece}\` has no value (expected \`key=value\`; commas separate overrides)`,
        ),
      );
      continue;
    }
    const segments = parsePath(piece.slice(0, eq));
    if (typeof segments === "string") {
      diagnostics.push(diagnosticAt(place, "invalid override", segments));
      continue;
    }
    const text = piece.slice(eq + 1);
    const typed = typedValue(text);
    const leaf: ConfigNode =
      typeof typed === "string"
        ? scalarNode(typed, false, place, piece.slice(0, eq), env, diagnostics)
        : { kind: "scalar", place, value: typed };
    root = assign(root, segments, leaf, place);
  }
  return root;
}

/** Sets `segments` to `leaf` inside `node`, creating maps and lists on the way (as Helm does). */
function assign(
  node: ConfigNode | undefined,
  segments: readonly Segment[],
  leaf: ConfigNode,
  place: Place,
): ConfigNode {
  const [first, ...rest] = segments;
  if (first === undefined) return leaf;
  const map: MapNode = node?.kind === "map" ? node : { kind: "map", place, entries: new Map() };
  const existing = map.entries.get(first.key)?.value;
  const value = assignIndexed(existing, first.indexes, rest, leaf, place);
  map.entries.set(first.key, { keyPlace: place, value });
  return map;
}

function assignIndexed(
  node: ConfigNode | undefined,
  indexes: readonly number[],
  rest: readonly Segment[],
  leaf: ConfigNode,
  place: Place,
): ConfigNode {
  const [index, ...more] = indexes;
  if (index === undefined) return assign(node, rest, leaf, place);
  const items = node?.kind === "list" ? [...node.items] : [];
  while (items.length <= index) items.push({ kind: "scalar", place, value: null });
  items[index] = assignIndexed(items[index], more, rest, leaf, place);
  return { kind: "list", place, items };
}
