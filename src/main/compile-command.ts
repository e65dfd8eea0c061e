// `gatehouse compile [flags] <dir>`: a drop-in for `cerbos compile`. Reads a policy repository,
// compiles it (printing every problem, exit 3), then runs its test suites (exit 4 when a test
// fails or errors). Flags, output and exit codes mirror Cerbos 0.55.

import type { EngineOptions } from "../authz/engine/index.ts";
import { compilePolicySet, createEngine } from "../authz/index.ts";
import type { CompiledPolicySet, Engine } from "../authz/index.ts";
import { parsePolicy, type PolicySource } from "../authz/policy/index.ts";
import { mergeTestFilters, parseTestFilter, runTestSuites } from "../authz/verify/index.ts";
import type { EngineFactory, TestFilter } from "../authz/verify/index.ts";
import { readPolicyRepository } from "../store/disk/index.ts";
import { formatCompileErrors } from "./compile-report.ts";
import { formatJUnit } from "./junit-report.ts";
import { colorsEnabled, createStyle, type ColorLevel } from "./terminal-style.ts";
import type { CompileFlags } from "./compile-args.ts";
import { formatTestResults } from "./test-report.ts";
import type { CliIo } from "./cli-io.ts";
import { exitCodes } from "./cli-io.ts";
import type { Diagnostic } from "../kernel/diagnostic.ts";

export async function runCompile(flags: CompileFlags, io: CliIo): Promise<number> {
  const level: ColorLevel = flags.noColor ? "never" : (flags.color ?? "auto");
  const style = createStyle(colorsEnabled(level, io.stdoutIsTTY, io.env));

  const filters: TestFilter[] = [];
  for (const spec of flags.testFilters) {
    const parsed = parseTestFilter(spec);
    if ("error" in parsed)
      return io.fail(`invalid test filter: ${parsed.error}`, exitCodes.failure);
    filters.push(parsed.filter);
  }

  let repo;
  try {
    repo = await readPolicyRepository(flags.dir);
  } catch (e) {
    return io.fail(
      `failed to load policy repository at ${JSON.stringify(flags.dir)}: ${(e as Error).message}`,
      exitCodes.failure,
    );
  }

  // With --ignore-schemas Cerbos neither checks that referenced schemas exist and load nor
  // validates attributes against them.
  const { policySet, diagnostics } = compilePolicySet({
    policies: repo.policies,
    schemas: repo.schemas,
    ...(flags.ignoreSchemas ? { ignoreSchemas: true } : {}),
  });
  // Files in the wrong place (the store's diagnostics) and files the index rejects fail
  // compilation as Cerbos's index does.
  const rejected = indexLoadFailures(repo.policies);
  if (!policySet || repo.diagnostics.length > 0 || rejected.size > 0) {
    const compiled = diagnostics.filter((d) => !rejected.has(d.file));
    const all = [...repo.diagnostics, ...[...rejected.values()].flat(), ...compiled];
    io.out(formatCompileErrors(all, flags.output, style));
    return io.fail("failed to compile", exitCodes.compileFailed);
  }
  if (flags.skipTests) return exitCodes.ok;

  let testRepo = repo;
  if (flags.tests !== undefined) {
    try {
      testRepo = await readPolicyRepository(flags.tests);
    } catch (e) {
      return io.fail(
        `failed to open tests directory at ${JSON.stringify(flags.tests)}: ${(e as Error).message}`,
        exitCodes.failure,
      );
    }
  }

  // Cerbos compiles with schema enforcement "reject" unless schemas are ignored.
  const base: EngineOptions = {
    schemaEnforcement: flags.ignoreSchemas ? "none" : "reject",
    ...(flags.strictEvaluation ? { strictEvaluation: true } : {}),
  };
  const filter = mergeTestFilters(filters);
  const results = runTestSuites({
    suites: testRepo.testSuites,
    fixtures: testRepo.testFixtures,
    engines: engineFactory(policySet, base),
    config: {
      ...(filter ? { filter } : {}),
      skipBatching: flags.skipBatching,
      explain: flags.verbose,
    },
  });
  if ("error" in results)
    return io.fail(
      `failed to run tests from ${JSON.stringify(flags.tests ?? flags.dir)}: ${results.error}`,
      exitCodes.failure,
    );

  const format = flags.testOutput ?? flags.output;
  io.out(
    format === "junit"
      ? formatJUnit(results, flags.verbose)
      : formatTestResults(results, format, flags.verbose, style),
  );
  const overall = results.summary.overallResult;
  if (overall === "RESULT_FAILED" || overall === "RESULT_ERRORED")
    return io.fail("tests failed", exitCodes.testsFailed);
  return exitCodes.ok;
}

/**
 * The load failures of files that Cerbos's index rejects but the compiler would compile: resource
 * rules that match no role or derived role (`rule #1 does not specify any roles or derived roles
 * to match`). For such a file they replace the compiler's diagnostics, as Cerbos never compiles it.
 */
function indexLoadFailures(policies: readonly PolicySource[]): Map<string, Diagnostic[]> {
  const out = new Map<string, Diagnostic[]>();
  for (const src of policies) {
    const strict = parsePolicy(src, { requireRuleRoles: true }).diagnostics;
    if (strict.length > 0 && parsePolicy(src).diagnostics.length === 0) out.set(src.file, strict);
  }
  return out;
}

/**
 * Engines for a compiled policy set, one per distinct set of options, created on first use.
 * `base` carries run-wide settings (schema enforcement, `--strict-evaluation`).
 */
export function engineFactory(
  policySet: CompiledPolicySet,
  base: EngineOptions = {},
): EngineFactory {
  const cache = new Map<string, Engine>();
  return (options) => {
    const merged: EngineOptions = {
      ...base,
      ...options,
      strictEvaluation: (base.strictEvaluation ?? false) || (options.strictEvaluation ?? false),
    };
    const key = JSON.stringify(merged);
    let engine = cache.get(key);
    if (!engine) cache.set(key, (engine = createEngine(policySet, merged)));
    return engine;
  };
}
