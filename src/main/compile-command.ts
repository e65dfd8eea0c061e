// `gatehouse compile [flags] <dir>`: a drop-in for `cerbos compile`. Reads a policy repository,
// compiles it (printing every problem, exit 3), then runs its test suites (exit 4 when a test
// fails or errors). Flags, output and exit codes mirror Cerbos 0.55.

import type { EngineOptions } from "../authz/engine/index.ts";
import { compilePolicySet, createEngine } from "../authz/index.ts";
import type { CompiledPolicySet, Engine } from "../authz/index.ts";
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

  // Schemas are always passed: the compiler checks that referenced schemas exist. With
  // --ignore-schemas Cerbos skips that check too; CompileInput has no switch for it yet, so a
  // missing schema still fails here (the only difference), while attributes go unchecked.
  const { policySet, diagnostics } = compilePolicySet({
    policies: repo.policies,
    schemas: repo.schemas,
  });
  // Files in the wrong place (the store's diagnostics) fail compilation as Cerbos's index does.
  if (!policySet || repo.diagnostics.length > 0) {
    io.out(formatCompileErrors([...repo.diagnostics, ...diagnostics], flags.output, style));
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
