// Cerbos's listen address forms: `host:port`, `:port` (all interfaces), `[v6]:port` and
// `unix:/path`. Parsed once at startup into what net.Server#listen takes.

import { InvalidArgumentError } from "../../kernel/errors.ts";

export type ListenTarget =
  | { readonly kind: "tcp"; readonly host?: string; readonly port: number }
  | { readonly kind: "unix"; readonly path: string };

export function parseListenAddress(addr: string): ListenTarget {
  if (addr.startsWith("unix:")) {
    const path = addr.slice("unix:".length);
    if (path === "")
      throw new InvalidArgumentError("", `listen address \`${addr}\` has no socket path`);
    return { kind: "unix", path };
  }
  const colon = addr.lastIndexOf(":");
  if (colon < 0)
    throw new InvalidArgumentError(
      "",
      `listen address \`${addr}\` is not \`host:port\`, \`:port\` or \`unix:/path\``,
    );
  let host = addr.slice(0, colon);
  const portText = addr.slice(colon + 1);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535)
    throw new InvalidArgumentError(
      "",
      `listen address \`${addr}\` has an invalid port \`${portText}\``,
    );
  const port = Number(portText);
  return host === "" ? { kind: "tcp", port } : { kind: "tcp", host, port };
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
