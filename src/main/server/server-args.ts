// `gatehouse server` flags, spelled as `cerbos server` spells them so scripts carry over:
// --config=FILE, --set=key=value (repeatable), --log-level=LEVEL.

import { UsageError } from "../cli-io.ts";

export interface ServerArgs {
  readonly config?: string;
  readonly sets: readonly string[];
  readonly logLevel?: "debug" | "info" | "warn" | "error";
}

export const serverHelp = `Usage: gatehouse server [flags]

Start the policy decision point: Cerbos's HTTP and gRPC APIs over the policies in the
configured store

Flags:
  -h, --help                Show context-sensitive help.
      --config=STRING       Path to config file (Cerbos's .cerbos.yaml format)
      --set=KEY=VALUE,...   Config overrides, e.g. --set=server.httpListenAddr=:3592
      --log-level="info"    Log level (debug, info, warn, error)
`;

const levels = new Set(["debug", "info", "warn", "error"]);

export function parseServerArgs(argv: readonly string[]): ServerArgs | "help" {
  let config: string | undefined;
  let logLevel: ServerArgs["logLevel"];
  const sets: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-h" || arg === "--help") return "help";
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const takeValue = (): string => {
      if (eq !== -1) return arg.slice(eq + 1);
      const next = argv[i + 1];
      if (next === undefined) throw new UsageError(`${name}: expected a value`);
      i++;
      return next;
    };
    switch (name) {
      case "--config":
        config = takeValue();
        break;
      case "--set":
        sets.push(takeValue());
        break;
      case "--log-level": {
        const level = takeValue().toLowerCase();
        if (!levels.has(level))
          throw new UsageError(`--log-level: \`${level}\` must be one of debug, info, warn, error`);
        logLevel = level as ServerArgs["logLevel"];
        break;
      }
      default:
        if (arg.startsWith("-")) throw new UsageError(`unknown flag ${name}`);
        throw new UsageError(`unexpected argument ${arg}`);
    }
  }
  return { sets, ...(config === undefined ? {} : { config }), ...(logLevel ? { logLevel } : {}) };
}
