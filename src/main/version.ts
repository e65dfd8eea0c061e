// Gatehouse's version, from package.json: printed by `--version` and served by ServerInfo.

import { readFileSync } from "node:fs";

let cached: string | undefined;

export function version(): string {
  if (cached === undefined) {
    const pkg = JSON.parse(
      readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
    ) as { version?: string };
    cached = pkg.version ?? "0.0.0";
  }
  return cached;
}
