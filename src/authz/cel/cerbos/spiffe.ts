// Cerbos's SPIFFE functions: spiffeID(), spiffeTrustDomain() and the matchers spiffeMatchAny,
// spiffeMatchExact, spiffeMatchOneOf and spiffeMatchTrustDomain, with the member functions
// path(), trustDomain(), isMemberOf(), id(), name() and matchesID(). Parsing follows
// go-spiffe's spiffeid package, with its error messages.

import type { CelLibrary } from "../library.ts";
import { T } from "../types.ts";
import { CelError, type CelOpaqueValue, type CelResult, type CelValue } from "../value.ts";
import { noSuchOverload } from "../lib/value-ops.ts";

const SCHEME = "spiffe://";

type Parse<T> = { ok: T } | { error: string };

function validTrustDomain(td: string): string | undefined {
  if (td === "") return "trust domain is missing";
  if (!/^[a-z0-9._-]+$/.test(td)) {
    return "trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores";
  }
  return undefined;
}

function validPath(path: string): string | undefined {
  if (path === "") return undefined;
  const segments = path.slice(1).split("/");
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] as string;
    if (seg === "")
      return i === segments.length - 1
        ? "path cannot have a trailing slash"
        : "path cannot contain empty segments";
    if (seg === "." || seg === "..") return "path cannot contain dot segments";
    if (!/^[a-zA-Z0-9._-]+$/.test(seg)) {
      return "path segment characters are limited to letters, numbers, dots, dashes, and underscores";
    }
  }
  return undefined;
}

/** go-spiffe's spiffeid.FromString. */
function parseID(s: string): Parse<{ td: string; path: string }> {
  if (!s.startsWith(SCHEME)) return { error: "scheme is missing or invalid" };
  const rest = s.slice(SCHEME.length);
  const slash = rest.indexOf("/");
  const td = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? "" : rest.slice(slash);
  const tdErr = validTrustDomain(td);
  if (tdErr) return { error: tdErr };
  const pathErr = validPath(path);
  if (pathErr) return { error: pathErr };
  return { ok: { td, path } };
}

/** go-spiffe's spiffeid.TrustDomainFromString: a bare name or a SPIFFE ID. */
function parseTrustDomain(s: string): Parse<string> {
  if (s.includes(":/")) {
    const id = parseID(s);
    return "error" in id ? id : { ok: id.ok.td };
  }
  const err = validTrustDomain(s);
  return err ? { error: err } : { ok: s };
}

export class CelSpiffeID implements CelOpaqueValue {
  readonly celTypeName = "cerbos.lib.spiffeID";
  readonly trustDomain: string;
  readonly path: string;
  constructor(trustDomain: string, path: string) {
    this.trustDomain = trustDomain;
    this.path = path;
  }
  celEquals(other: CelOpaqueValue): boolean {
    return other instanceof CelSpiffeID && other.toString() === this.toString();
  }
  toString(): string {
    return `${SCHEME}${this.trustDomain}${this.path}`;
  }
}

export class CelSpiffeTrustDomain implements CelOpaqueValue {
  readonly celTypeName = "cerbos.lib.spiffeTrustDomain";
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  celEquals(other: CelOpaqueValue): boolean {
    return other instanceof CelSpiffeTrustDomain && other.name === this.name;
  }
  toString(): string {
    return this.name;
  }
}

export class CelSpiffeMatcher implements CelOpaqueValue {
  readonly celTypeName = "cerbos.lib.spiffeMatcher";
  readonly matches: (id: CelSpiffeID) => boolean;
  constructor(matches: (id: CelSpiffeID) => boolean) {
    this.matches = matches;
  }
  /** Matchers are never equal, not even to themselves (as in Cerbos). */
  celEquals(): boolean {
    return false;
  }
}

function toID(v: CelValue, prefix: string): CelSpiffeID | CelError {
  if (v instanceof CelSpiffeID) return v;
  if (typeof v !== "string") return noSuchOverload();
  const r = parseID(v);
  return "error" in r ? new CelError(`${prefix}: ${r.error}`) : new CelSpiffeID(r.ok.td, r.ok.path);
}

function spiffeID(v: CelValue): CelResult {
  return toID(v, "failed to parse SPIFFE ID");
}

function spiffeTrustDomain(v: CelValue): CelResult {
  if (v instanceof CelSpiffeTrustDomain) return v;
  if (v instanceof CelSpiffeID) return new CelSpiffeTrustDomain(v.trustDomain);
  if (typeof v !== "string") return noSuchOverload();
  const r = parseTrustDomain(v);
  return "error" in r
    ? new CelError(`failed to parse SPIFFE trust domain: ${r.error}`)
    : new CelSpiffeTrustDomain(r.ok);
}

function matchExact(v: CelValue): CelResult {
  const id = toID(v, "failed to parse SPIFFE ID");
  if (id instanceof CelError) return id;
  const want = id.toString();
  return new CelSpiffeMatcher((x) => x.toString() === want);
}

function matchOneOf(v: CelValue): CelResult {
  if (!Array.isArray(v)) return noSuchOverload();
  const ids = new Set<string>();
  for (const e of v as readonly CelValue[]) {
    // Cerbos converts the whole list either to IDs or to valid ID strings; anything else fails.
    const id = e instanceof CelSpiffeID ? e : typeof e === "string" ? toID(e, "") : undefined;
    if (id === undefined || id instanceof CelError) return noSuchOverload();
    ids.add(id.toString());
  }
  return new CelSpiffeMatcher((x) => ids.has(x.toString()));
}

function matchTrustDomain(v: CelValue): CelResult {
  const td = spiffeTrustDomain(v);
  if (td instanceof CelError) return td;
  const name = (td as CelSpiffeTrustDomain).name;
  return new CelSpiffeMatcher((x) => x.trustDomain === name);
}

function matchesID(m: CelValue, v: CelValue): CelResult {
  if (!(m instanceof CelSpiffeMatcher)) return noSuchOverload();
  const id = toID(v, "invalid SPIFFE ID");
  return id instanceof CelError ? id : m.matches(id);
}

const ID_T = T.opaque("cerbos.lib.spiffeID");
const TD_T = T.opaque("cerbos.lib.spiffeTrustDomain");
const M_T = T.opaque("cerbos.lib.spiffeMatcher");

export const spiffeLibrary: CelLibrary = {
  name: "cerbos.lib.spiffe",
  messages: [
    { name: "cerbos.lib.spiffeID", fields: {} },
    { name: "cerbos.lib.spiffeTrustDomain", fields: {} },
    { name: "cerbos.lib.spiffeMatcher", fields: {} },
  ],
  functions: [
    {
      name: "spiffeID",
      overloads: [{ id: "spiffeID_string", params: [T.string], result: ID_T, impl: spiffeID }],
    },
    {
      name: "spiffeTrustDomain",
      overloads: [
        {
          id: "spiffeTrustDomain_string",
          params: [T.string],
          result: TD_T,
          impl: spiffeTrustDomain,
        },
      ],
    },
    {
      name: "spiffeMatchAny",
      overloads: [
        {
          id: "spiffeMatchAny",
          params: [],
          result: M_T,
          impl: () => new CelSpiffeMatcher(() => true),
        },
      ],
    },
    {
      name: "spiffeMatchExact",
      overloads: [
        { id: "spiffeMatchExact_spiffeID", params: [ID_T], result: M_T, impl: matchExact },
        { id: "spiffeMatchExact_string", params: [T.string], result: M_T, impl: matchExact },
      ],
    },
    {
      name: "spiffeMatchOneOf",
      overloads: [
        {
          id: "spiffeMatchOneOf_spiffeIDList",
          params: [T.list(ID_T)],
          result: M_T,
          impl: matchOneOf,
        },
        {
          id: "spiffeMatchOneOf_stringList",
          params: [T.list(T.string)],
          result: M_T,
          impl: matchOneOf,
        },
      ],
    },
    {
      name: "spiffeMatchTrustDomain",
      overloads: [
        {
          id: "spiffeMatchTrustDomain_spiffeTrustDomain",
          params: [TD_T],
          result: M_T,
          impl: matchTrustDomain,
        },
        {
          id: "spiffeMatchTrustDomain_string",
          params: [T.string],
          result: M_T,
          impl: matchTrustDomain,
        },
      ],
    },
    {
      name: "isMemberOf",
      overloads: [
        {
          id: "isMemberOf",
          receiver: ID_T,
          params: [TD_T],
          result: T.bool,
          impl: (id, td) =>
            id instanceof CelSpiffeID && td instanceof CelSpiffeTrustDomain
              ? id.trustDomain === td.name
              : noSuchOverload(),
        },
      ],
    },
    {
      name: "path",
      overloads: [
        {
          id: "path",
          receiver: ID_T,
          params: [],
          result: T.string,
          impl: (id) => (id instanceof CelSpiffeID ? id.path : noSuchOverload()),
        },
      ],
    },
    {
      name: "trustDomain",
      overloads: [
        {
          id: "trustDomain",
          receiver: ID_T,
          params: [],
          result: TD_T,
          impl: (id) =>
            id instanceof CelSpiffeID ? new CelSpiffeTrustDomain(id.trustDomain) : noSuchOverload(),
        },
      ],
    },
    {
      name: "id",
      overloads: [
        {
          id: "id",
          receiver: TD_T,
          params: [],
          result: T.string,
          impl: (td) =>
            td instanceof CelSpiffeTrustDomain ? `${SCHEME}${td.name}` : noSuchOverload(),
        },
      ],
    },
    {
      name: "name",
      overloads: [
        {
          id: "name",
          receiver: TD_T,
          params: [],
          result: T.string,
          impl: (td) => (td instanceof CelSpiffeTrustDomain ? td.name : noSuchOverload()),
        },
      ],
    },
    {
      name: "matchesID",
      overloads: [
        {
          id: "matchesID_spiffeID",
          receiver: M_T,
          params: [ID_T],
          result: T.bool,
          impl: matchesID,
        },
        {
          id: "matchesID_string",
          receiver: M_T,
          params: [T.string],
          result: T.bool,
          impl: matchesID,
        },
      ],
    },
  ],
};
