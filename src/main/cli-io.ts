// What the CLI needs from the process, passed in so commands are testable without spawning:
// where output goes, whether stdout is a terminal, the environment, and exit codes.

import { InvalidArgumentError } from "../kernel/errors.ts";

/** `cerbos compile`'s exit codes. Bad arguments exit 80, as Cerbos's (kong) parser does. */
export const exitCodes = {
  ok: 0,
  failure: 1,
  compileFailed: 3,
  testsFailed: 4,
  usage: 80,
} as const;

export interface CliIo {
  readonly stdoutIsTTY: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  out(text: string): void;
  err(text: string): void;
  /** Prints `gatehouse: error: <message>` on stderr and returns `code`. */
  fail(message: string, code: number): number;
}

/** A command line that does not parse; the message is Cerbos's wording where it has one. */
export class UsageError extends InvalidArgumentError {
  constructor(message: string) {
    super("", message);
    this.name = "UsageError";
  }
}

export function processIo(): CliIo {
  return {
    stdoutIsTTY: process.stdout.isTTY === true,
    env: process.env,
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    fail: (message, code) => failWith((text) => process.stderr.write(text), message, code),
  };
}

/** Output collected in memory, for running commands in-process (tests, embedding). */
export function memoryIo(): CliIo & { readonly stdout: string; readonly stderr: string } {
  const io = {
    stdout: "",
    stderr: "",
    stdoutIsTTY: false,
    env: {},
    out: (text: string) => void (io.stdout += text),
    err: (text: string) => void (io.stderr += text),
    fail: (message: string, code: number) => failWith(io.err, message, code),
  };
  return io;
}

function failWith(err: (text: string) => void, message: string, code: number): number {
  err(`gatehouse: error: ${message}\n`);
  return code;
}
