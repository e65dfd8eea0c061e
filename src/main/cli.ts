// The `gatehouse` command line: `gatehouse compile ...` (policy compilation and tests),
// `--help` and `--version`. bin/gatehouse.js calls `main`; tests call `runCli` with a fake io.

import { compileHelp, parseCompileArgs } from "./compile-args.ts";
import { exitCodes, processIo, UsageError } from "./cli-io.ts";
import type { CliIo } from "./cli-io.ts";
import { parseServerArgs, serverHelp } from "./server/server-args.ts";
import { version } from "./version.ts";

export const usage = `Usage: gatehouse <command> [flags]

Open-source access control: a Cerbos-compatible policy decision point

Flags:
  -h, --help       Show context-sensitive help.
      --version    Show gatehouse version

Commands:
  compile <dir> [flags]
    Compile and test policies

  server [flags]
    Start the policy decision point (Cerbos's HTTP and gRPC APIs)

Run "gatehouse <command> --help" for more information on a command.
`;

export { version } from "./version.ts";

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined) {
      io.out(usage);
      return io.fail('expected one of "compile", "server"', exitCodes.usage);
    }
    if (command === "-h" || command === "--help") {
      io.out(usage);
      return exitCodes.ok;
    }
    if (command === "--version") {
      io.out(`${version()}\n`);
      return exitCodes.ok;
    }
    if (command === "compile") {
      if (rest.includes("--version")) {
        io.out(`${version()}\n`);
        return exitCodes.ok;
      }
      const flags = parseCompileArgs(rest);
      if (flags === "help") {
        io.out(compileHelp);
        return exitCodes.ok;
      }
      // Loaded on demand: `--help` and `--version` need not load the policy engine.
      const { runCompile } = await import("./compile-command.ts");
      return await runCompile(flags, io);
    }
    if (command === "server") {
      const flags = parseServerArgs(rest);
      if (flags === "help") {
        io.out(serverHelp);
        return exitCodes.ok;
      }
      const { runServer } = await import("./server/run-server.ts");
      return await runServer(flags, io);
    }
    if (command.startsWith("-")) throw new UsageError(`unknown flag ${command}`);
    throw new UsageError(`unexpected argument ${command}`);
  } catch (e) {
    if (e instanceof UsageError) {
      io.out(command === "compile" ? compileHelp : command === "server" ? serverHelp : usage);
      return io.fail(e.message, exitCodes.usage);
    }
    return io.fail(e instanceof Error ? e.message : String(e), exitCodes.failure);
  }
}

/** Entry point for bin/gatehouse.js. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  process.exitCode = await runCli(argv, processIo());
}
