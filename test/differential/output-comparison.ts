// Puts a Cerbos decision-log CheckOutput and a Gatehouse CheckOutput in one canonical shape so
// they can be compared with deepEqual: proto3 defaults dropped, and lists whose order Cerbos
// does not fix (it walks actions in Go map order) sorted.

import { isDeepStrictEqual } from "node:util";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const sortJson = (list: Json[]): Json[] =>
  [...list].sort((a, b) =>
    JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0,
  );

/** A deep copy with object keys in sorted order, so serialised forms compare as values do. */
function sortKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sortKeys(v[k] ?? null)]),
  );
}

export function canonicalOutput(out: unknown): Json {
  const o = sortKeys(JSON.parse(JSON.stringify(out ?? null)) as Json) as Record<string, Json>;
  if (o === null) return null;
  delete o["requestId"];
  delete o["explanation"];
  if (Array.isArray(o["effectiveDerivedRoles"]))
    o["effectiveDerivedRoles"] = sortJson(o["effectiveDerivedRoles"]);
  if (Array.isArray(o["outputs"])) {
    o["outputs"] = sortJson(
      o["outputs"].map((e) => {
        const entry = { ...(e as Record<string, Json>) };
        // protobuf drops a null Value, so an errored output has no `val` on the Cerbos side
        if (entry["val"] === null || entry["val"] === undefined) delete entry["val"];
        if (entry["action"] === "") delete entry["action"];
        if (entry["error"] === "") delete entry["error"];
        return entry;
      }),
    );
  }
  for (const k of ["validationErrors", "evaluationErrors"])
    if (Array.isArray(o[k])) o[k] = sortJson(o[k]);
  for (const k of ["effectiveDerivedRoles", "outputs", "evaluationErrors", "validationErrors"]) {
    if (Array.isArray(o[k]) && o[k].length === 0) delete o[k];
  }
  const actions = o["actions"] as Record<string, Record<string, Json>> | undefined;
  for (const a of Object.values(actions ?? {})) {
    if (a["scope"] === "") delete a["scope"];
  }
  return o;
}

/** Which top-level fields differ, for a one-line summary before the full dump. */
export function differingFields(a: Json, b: Json): string[] {
  const ao = (a ?? {}) as Record<string, Json>;
  const bo = (b ?? {}) as Record<string, Json>;
  const keys = [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort();
  const out: string[] = [];
  for (const k of keys) {
    if (k === "actions") {
      const aa = (ao[k] ?? {}) as Record<string, Json>;
      const ba = (bo[k] ?? {}) as Record<string, Json>;
      for (const act of [...new Set([...Object.keys(aa), ...Object.keys(ba)])].sort()) {
        if (!isDeepStrictEqual(aa[act], ba[act])) out.push(`actions.${act}`);
      }
    } else if (!isDeepStrictEqual(ao[k], bo[k])) out.push(k);
  }
  return out;
}
