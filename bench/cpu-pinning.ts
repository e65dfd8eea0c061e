// Pins the benchmark process to one CPU while it times in-process work, with `taskset` (util-linux;
// Linux only). On small shared machines (two virtual CPUs here) an unpinned Node process was
// seen running the same code 1.5-2x slower for stretches of many seconds while V8's background
// threads (concurrent GC and compiler) ran on the other CPU: same code, same profile, every
// function slower alike. Pinned runs, where those threads share the benchmark's own CPU, did
// not show it. Set GATEHOUSE_BENCH_PIN=0 to measure unpinned.

import { spawnSync } from "node:child_process";

export interface Pinning {
  /** What was done, for the report's header. */
  readonly description: string;
  /** Gives the process back the CPUs it had (before spawning a multi-threaded program). */
  release(): void;
}

const NOT_PINNED = (why: string): Pinning => ({ description: `not pinned (${why})`, release() {} });

/** `taskset -a -p -c LIST PID`: every thread of this process onto LIST. */
function setAffinity(list: string): string | undefined {
  const r = spawnSync("taskset", ["-a", "-p", "-c", list, String(process.pid)], {
    encoding: "utf8",
  });
  if (r.error) return r.error.message;
  return r.status === 0 ? undefined : (r.stderr || r.stdout).trim() || `exit ${String(r.status)}`;
}

export function pinToOneCpu(): Pinning {
  if (process.env["GATEHOUSE_BENCH_PIN"] === "0") return NOT_PINNED("GATEHOUSE_BENCH_PIN=0");
  if (process.platform !== "linux") return NOT_PINNED(`taskset is Linux-only`);
  const current = spawnSync("taskset", ["-c", "-p", String(process.pid)], { encoding: "utf8" });
  if (current.error || current.status !== 0)
    return NOT_PINNED(`taskset unavailable: ${current.error?.message ?? current.stderr.trim()}`);
  // "pid 123's current affinity list: 0,1"
  const original = /list:\s*(\S+)/.exec(current.stdout)?.[1];
  if (original === undefined) return NOT_PINNED(`unexpected taskset output: ${current.stdout}`);
  const cpu = original.split(/[,-]/)[0] as string;
  const failed = setAffinity(cpu);
  if (failed !== undefined) return NOT_PINNED(`taskset failed: ${failed}`);
  return {
    description: `pinned to CPU ${cpu} with taskset (of ${original}; GATEHOUSE_BENCH_PIN=0 to measure unpinned)`,
    release() {
      setAffinity(original);
    },
  };
}
