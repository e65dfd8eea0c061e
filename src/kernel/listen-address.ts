// Listen addresses as Cerbos accepts them: `host:port`, `:port` (every interface), `[v6]:port`,
// or `unix:/path/to.sock` for a Unix domain socket.

export type ListenAddress =
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "unix"; readonly path: string };

/** The parsed address, or a message saying what is wrong. */
export function parseListenAddress(value: string): ListenAddress | string {
  if (value.startsWith("unix:")) {
    const path = value.slice("unix:".length);
    return path === ""
      ? `\`${value}\` names no socket path (expected \`unix:/path/to.sock\`)`
      : { kind: "unix", path };
  }
  const colon = value.lastIndexOf(":");
  if (colon === -1) {
    return `\`${value}\` has no port (expected \`host:port\`, \`:port\` or \`unix:/path\`)`;
  }
  let host = value.slice(0, colon);
  const portText = value.slice(colon + 1);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  else if (host.includes(":")) {
    return `\`${value}\` has an IPv6 host without brackets (write \`[${host}]:${portText}\`)`;
  }
  if (!/^[0-9]+$/.test(portText) || Number(portText) > 65535) {
    return `\`${portText}\` in \`${value}\` is not a port number (0 to 65535)`;
  }
  if (host !== "" && !/^[A-Za-z0-9.:%_-]+$/.test(host))
    return `\`${host}\` in \`${value}\` is not a host name or IP address`;
  return { kind: "tcp", host, port: Number(portText) };
}
