// Cerbos's path functions: basePath, dirPath, extPath, volumeName, joinPath, relPath, and the
// predicates pathHasPrefix, pathMatch and pathMatchAnyOf (global and member forms). Unix and
// Windows (drive and UNC) paths are both understood, as in Cerbos; see file-paths.ts.

import type { CelLibrary, Overload } from "../library.ts";
import { T, type CelType } from "../types.ts";
import { CelError, type CelResult, type CelValue } from "../value.ts";
import { celTypeName, noSuchOverload } from "../lib/value-ops.ts";
import {
  crossBase,
  crossDir,
  crossExt,
  crossJoin,
  crossMatch,
  crossRel,
  volumeName,
} from "./file-paths.ts";

type Result<T> = { ok: T } | { error: string };

function unwrap<T extends CelValue>(r: Result<T>): CelResult {
  return "error" in r ? new CelError(r.error) : r.ok;
}

function stringFn(f: (s: string) => Result<string> | string): (v: CelValue) => CelResult {
  return (v) => {
    if (typeof v !== "string") return noSuchOverload();
    const r = f(v);
    return typeof r === "string" ? r : unwrap(r);
  };
}

function stringList(v: CelValue): string[] | CelError {
  if (!Array.isArray(v)) return noSuchOverload();
  const out: string[] = [];
  for (const e of v as readonly CelValue[]) {
    if (typeof e !== "string") {
      return new CelError(
        `failed to convert list to string slice: unsupported type conversion from '${celTypeName(e)}' to string`,
      );
    }
    out.push(e);
  }
  return out;
}

function joinPath(v: CelValue): CelResult {
  const parts = stringList(v);
  return parts instanceof CelError ? parts : unwrap(crossJoin(parts));
}

function relPath(base: CelValue, target: CelValue): CelResult {
  if (typeof base !== "string" || typeof target !== "string") return noSuchOverload();
  return unwrap(crossRel(base, target));
}

/** `path` lies at or below `prefix`: the path relative to the prefix does not climb out. */
function pathHasPrefix(path: CelValue, prefix: CelValue): CelResult {
  if (typeof path !== "string" || typeof prefix !== "string") return noSuchOverload();
  const r = crossRel(prefix, path);
  if ("error" in r) return new CelError(r.error);
  return !r.ok.startsWith("..");
}

function pathMatch(path: CelValue, pattern: CelValue): CelResult {
  if (typeof path !== "string" || typeof pattern !== "string") return noSuchOverload();
  return unwrap(crossMatch(path, pattern));
}

function pathMatchAnyOf(path: CelValue, patterns: CelValue): CelResult {
  if (typeof path !== "string") return noSuchOverload();
  const list = stringList(patterns);
  if (list instanceof CelError) return list;
  for (const p of list) {
    const r = pathMatch(path, p);
    if (r !== false) return r;
  }
  return false;
}

const S = T.string;

function globalAndMember(
  name: string,
  params: [CelType, CelType],
  result: CelType,
  impl: Overload["impl"],
) {
  return {
    name,
    overloads: [
      { id: `${name}_overload`, params, result, impl },
      { id: `${name}_member_overload`, receiver: params[0], params: [params[1]], result, impl },
    ],
  };
}

export const pathFunctionsLibrary: CelLibrary = {
  name: "cerbos.lib.paths",
  functions: [
    {
      name: "basePath",
      overloads: [{ id: "basePath_string", params: [S], result: S, impl: stringFn(crossBase) }],
    },
    {
      name: "dirPath",
      overloads: [{ id: "dirPath_string", params: [S], result: S, impl: stringFn(crossDir) }],
    },
    {
      name: "extPath",
      overloads: [{ id: "extPath_string", params: [S], result: S, impl: stringFn(crossExt) }],
    },
    {
      name: "volumeName",
      overloads: [{ id: "volumeName_string", params: [S], result: S, impl: stringFn(volumeName) }],
    },
    {
      name: "joinPath",
      overloads: [{ id: "joinPath_stringarray", params: [T.list(S)], result: S, impl: joinPath }],
    },
    {
      name: "relPath",
      overloads: [{ id: "relPath_string_string", params: [S, S], result: S, impl: relPath }],
    },
    globalAndMember("pathHasPrefix", [S, S], T.bool, pathHasPrefix),
    globalAndMember("pathMatch", [S, S], T.bool, pathMatch),
    globalAndMember("pathMatchAnyOf", [S, T.list(S)], T.bool, pathMatchAnyOf),
  ],
};
