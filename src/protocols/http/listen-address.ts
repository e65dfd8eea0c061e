// Cerbos's listen address forms: `host:port`, `:port` (all interfaces), `[v6]:port` and
// `unix:/path` (parsed by kernel/listen-address.ts), in the shape net.Server#listen takes.

import { InvalidArgumentError } from "../../kernel/errors.ts";
import { parseListenAddress as parseAddress } from "../../kernel/listen-address.ts";

export type ListenTarget =
  | { readonly kind: "tcp"; readonly host?: string; readonly port: number }
  | { readonly kind: "unix"; readonly path: string };

/** The address in the form net.Server#listen takes; an empty host means every interface. */
export function parseListenAddress(addr: string): ListenTarget {
  const parsed = parseAddress(addr);
  if (typeof parsed === "string") throw new InvalidArgumentError("", `listen address ${parsed}`);
  if (parsed.kind === "unix" || parsed.host !== "") return parsed;
  return { kind: "tcp", port: parsed.port };
}

/** How a bound address is reported: `host:port` (IPv6 in brackets) or `unix:/path`. */
export function formatBoundAddress(
  bound: string | { address: string; family: string; port: number } | null,
  target: ListenTarget,
): string {
  if (target.kind === "unix") return `unix:${target.path}`;
  if (bound === null || typeof bound === "string") return String(bound);
  return bound.family === "IPv6"
    ? `[${bound.address}]:${bound.port}`
    : `${bound.address}:${bound.port}`;
}
