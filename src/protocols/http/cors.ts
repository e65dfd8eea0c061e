// CORS as Cerbos's HTTP server answers it (the rs/cors middleware with Cerbos's options):
// every response varies on Origin; a preflight (OPTIONS with Access-Control-Request-Method) is
// answered 204 by the middleware itself, with the allow headers only when origin, method and
// every requested header are allowed; an actual request from an allowed origin gets
// Access-Control-Allow-Origin. Headers are computed as flat [name, value, ...] lists so the
// server can pass them straight to writeHead.

import type { ServerConfig } from "../../main/config/types.ts";

export type CorsConfig = ServerConfig["cors"];

/** Methods a preflight may ask for, as Cerbos configures them. */
const allowedMethods = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

const PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";

export interface Cors {
  /** Headers for a preflight answer (always at least Vary). */
  preflight(
    origin: string | undefined,
    method: string,
    requestHeaders: string | undefined,
  ): string[];
  /** Headers to add to an actual response. */
  actual(origin: string | undefined, method: string): string[];
}

/** Undefined when CORS is disabled: then no header is added and OPTIONS is a plain request. */
export function createCors(config: CorsConfig): Cors | undefined {
  if (config.disabled) return undefined;
  const origins = config.allowedOrigins.map((o) => o.toLowerCase());
  const anyOrigin = origins.length === 0 || origins.includes("*");
  const exact = new Set(origins.filter((o) => !o.includes("*")));
  const wildcards = origins
    .filter((o) => o !== "*" && o.includes("*"))
    .map((o) => {
      const star = o.indexOf("*");
      return { prefix: o.slice(0, star), suffix: o.slice(star + 1) };
    });
  // rs/cors always allows Origin besides the configured headers
  const headers = new Set([...config.allowedHeaders.map((h) => h.toLowerCase()), "origin"]);
  const anyHeader = headers.has("*");
  const maxAge = config.maxAge > 0 ? String(Math.floor(config.maxAge)) : undefined;

  const originAllowed = (origin: string): boolean => {
    if (anyOrigin) return true;
    const o = origin.toLowerCase();
    if (exact.has(o)) return true;
    return wildcards.some(
      (w) =>
        o.length >= w.prefix.length + w.suffix.length &&
        o.startsWith(w.prefix) &&
        o.endsWith(w.suffix),
    );
  };

  // Browsers send the list lower-case, sorted and comma-separated; rs/cors accepts exactly that
  // form (optional spaces after commas) and refuses anything else.
  const headersAllowed = (list: string): boolean => {
    if (anyHeader) return true;
    let previous = "";
    for (const raw of list.split(",")) {
      const name = raw.replace(/^[ \t]+|[ \t]+$/g, "");
      if (name === "" || name !== name.toLowerCase() || name <= previous || !headers.has(name))
        return false;
      previous = name;
    }
    return true;
  };

  return {
    preflight(origin, method, requestHeaders) {
      const out = ["Vary", PREFLIGHT_VARY];
      if (origin === undefined || origin === "" || !originAllowed(origin)) return out;
      if (!allowedMethods.has(method)) return out;
      if (requestHeaders !== undefined && requestHeaders !== "" && !headersAllowed(requestHeaders))
        return out;
      out.push("Access-Control-Allow-Origin", anyOrigin ? "*" : origin);
      out.push("Access-Control-Allow-Methods", method);
      if (requestHeaders !== undefined && requestHeaders !== "")
        out.push("Access-Control-Allow-Headers", requestHeaders);
      if (maxAge !== undefined) out.push("Access-Control-Max-Age", maxAge);
      return out;
    },
    actual(origin, method) {
      if (origin === undefined || origin === "") return varyOrigin;
      if (!originAllowed(origin) || !allowedMethods.has(method)) return varyOrigin;
      return anyOrigin
        ? varyOriginAnyOrigin
        : ["Vary", "Origin", "Access-Control-Allow-Origin", origin];
    },
  };
}

const varyOrigin = ["Vary", "Origin"];
const varyOriginAnyOrigin = ["Vary", "Origin", "Access-Control-Allow-Origin", "*"];
