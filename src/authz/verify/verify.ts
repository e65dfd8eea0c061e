// Runs Cerbos policy test suites against a compiled policy set: decode each suite and its
// shared fixtures, expand tables into tests, check them with an engine configured by the
// test options, and compare effects and outputs with the expectations. Pure: the caller
// brings the file texts (see src/store/disk) and gets Cerbos-shaped TestResults back.

import type { CheckResult, Engine, EngineOptions } from "../engine/index.ts";
import type { OutputEntry } from "../engine/types.ts";
import type { Effect } from "../policy/model.ts";
import {
  decodeAuxDataFixtures,
  decodePrincipalFixtures,
  decodeResourceFixtures,
  decodeTestSuite,
} from "./suite-decoder.ts";
import type { TestOptions, TestSuite } from "./suite-model.ts";
import { CompiledSelection, isFilterSkipReason, skipReasons } from "./test-filter.ts";
import type { TestSelection } from "./test-filter.ts";
import { SuiteFixtures, buildTests, checkGroups, jsonEqual } from "./test-matrix.ts";
import type { ConcreteTest, LoadedFixtures } from "./test-matrix.ts";
import { addActionResult, addSuiteResult, newSuiteResult } from "./test-results.ts";
import type {
  Details,
  OutputFailure,
  SuiteResult,
  TestOutputEntry,
  TestResults,
} from "./test-results.ts";

/** A file's path relative to the repository root ('/' separators) and its text. */
export interface SourceFile {
  readonly file: string;
  readonly text: string;
}

/** One `testdata/` directory of shared fixtures. */
export interface FixtureSource {
  /** Relative directory path, e.g. `testdata` or `resource_policies/testdata`. */
  readonly dir: string;
  readonly principals?: SourceFile;
  readonly resources?: SourceFile;
  readonly auxData?: SourceFile;
}

/** Gives an engine for a set of options; test options differ per suite and per table. */
export type EngineFactory = (options: EngineOptions) => Engine;

export interface VerifyConfig extends TestSelection {
  /** Check one action at a time instead of all of a test's actions at once. */
  readonly skipBatching?: boolean;
  /** Attach the engine's explanation to every action result (`--verbose`). */
  readonly explain?: boolean;
}

export interface VerifyInput {
  readonly suites: readonly SourceFile[];
  readonly fixtures?: readonly FixtureSource[];
  readonly engines: EngineFactory;
  readonly config?: VerifyConfig;
}

export const usedDefaultNowError =
  "a policy used a time-based condition, but `now` was not provided in the test options";

/** Go's zero time (0001-01-01T00:00:00Z): what a condition sees when a test sets no `now`. */
const goZeroTimeMs = -62135596800000;

/** Runs every suite; suites come back sorted by file name, as Cerbos sorts them. */
export function runTestSuites(input: VerifyInput): TestResults | { error: string } {
  const compiled = CompiledSelection.compile(input.config ?? {});
  if ("error" in compiled) return compiled;
  const fixtures = new FixtureCache(input.fixtures ?? []);
  const results: TestResults = { suites: [], summary: {} };
  const runner = new SuiteRunner(input.engines, compiled.selection, input.config ?? {});
  const files = [...input.suites].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  for (const src of files) addSuiteResult(results, runner.run(src, fixtures));
  return results;
}

const fixtureDirOf = (file: string): string => {
  const slash = file.lastIndexOf("/");
  return slash < 0 ? "testdata" : `${file.slice(0, slash)}/testdata`;
};

const normalizeDir = (dir: string): string => dir.replace(/^\.\//, "").replace(/\/+$/, "");

class FixtureCache {
  readonly #sources = new Map<string, FixtureSource>();
  readonly #loaded = new Map<string, { value: LoadedFixtures | undefined } | { error: string }>();

  constructor(sources: readonly FixtureSource[]) {
    for (const s of sources) this.#sources.set(normalizeDir(s.dir), s);
  }

  get(dir: string): { value: LoadedFixtures | undefined } | { error: string } {
    let r = this.#loaded.get(dir);
    if (!r) this.#loaded.set(dir, (r = loadFixtures(this.#sources.get(dir))));
    return r;
  }
}

function loadFixtures(
  src: FixtureSource | undefined,
): { value: LoadedFixtures | undefined } | { error: string } {
  if (!src) return { value: undefined };
  const out: {
    principals?: LoadedFixtures["principals"];
    principalGroups?: LoadedFixtures["principalGroups"];
    resources?: LoadedFixtures["resources"];
    resourceGroups?: LoadedFixtures["resourceGroups"];
    auxData?: LoadedFixtures["auxData"];
  } = {};
  if (src.principals) {
    const d = decodePrincipalFixtures(src.principals.text);
    if ("error" in d) return { error: `failed to load principals:\n${d.error}` };
    const principals = d.value.principals ?? {};
    const groups = groupMembers(d.value.principalGroups, (g) => g.principals);
    const bad = checkGroups(groups, (n) => Object.hasOwn(principals, n));
    if (bad) return { error: `failed to load principals: ${bad}` };
    out.principals = principals;
    out.principalGroups = groups;
  }
  if (src.resources) {
    const d = decodeResourceFixtures(src.resources.text);
    if ("error" in d) return { error: `failed to load resources:\n${d.error}` };
    const resources = d.value.resources ?? {};
    const groups = groupMembers(d.value.resourceGroups, (g) => g.resources);
    const bad = checkGroups(groups, (n) => Object.hasOwn(resources, n));
    if (bad) return { error: `failed to load resources: ${bad}` };
    out.resources = resources;
    out.resourceGroups = groups;
  }
  if (src.auxData) {
    const d = decodeAuxDataFixtures(src.auxData.text);
    if ("error" in d) return { error: `failed to load aux data:\n${d.error}` };
    out.auxData = d.value.auxData ?? {};
  }
  return { value: out };
}

function groupMembers<G>(
  groups: Readonly<Record<string, G>> | undefined,
  members: (g: G) => readonly string[],
): Record<string, readonly string[]> {
  const out: Record<string, readonly string[]> = {};
  for (const [name, g] of Object.entries(groups ?? {})) out[name] = members(g);
  return out;
}

class SuiteRunner {
  readonly #engines: EngineFactory;
  readonly #selection: CompiledSelection;
  readonly #config: VerifyConfig;

  constructor(engines: EngineFactory, selection: CompiledSelection, config: VerifyConfig) {
    this.#engines = engines;
    this.#selection = selection;
    this.#config = config;
  }

  run(src: SourceFile, fixtures: FixtureCache): SuiteResult {
    const decoded = decodeTestSuite(src.text);
    if ("error" in decoded) {
      return failed(
        newSuiteResult(src.file, "Unknown"),
        `failed to load test suite:\n${decoded.error}`,
      );
    }
    const suite = decoded.value;
    const result = newSuiteResult(src.file, suite.name, suite.description);
    const dir = fixtureDirOf(src.file);
    const shared = fixtures.get(dir);
    if ("error" in shared)
      return failed(result, `failed to load test fixtures from ${dir}: ${shared.error}`);
    const fx = new SuiteFixtures(suite, shared.value);

    const principalGroups = groupMembers(suite.principalGroups, (g) => g.principals);
    const badPrincipals = checkGroups(principalGroups, (n) => !("error" in fx.principal(n)));
    if (badPrincipals)
      return failed(result, `Invalid principal groups in test suite: ${badPrincipals}`);
    const resourceGroups = groupMembers(suite.resourceGroups, (g) => g.resources);
    const badResources = checkGroups(resourceGroups, (n) => !("error" in fx.resource(n)));
    if (badResources)
      return failed(result, `Invalid resource groups in test suite: ${badResources}`);

    if (suite.skip) {
      result.summary.overallResult = "RESULT_SKIPPED";
      if (suite.skipReason) result.skipReason = suite.skipReason;
      return result;
    }

    const seen = new Set<string>();
    const dupes: string[] = [];
    for (const t of suite.tests) {
      if (seen.has(t.name)) dupes.push(`another test named ${t.name} already exists`);
      seen.add(t.name);
    }
    if (dupes.length > 0) return failed(result, `Invalid test suite: ${dupes.join("; ")}`);

    const tests: ConcreteTest[] = [];
    for (const table of suite.tests) {
      const built = buildTests(table, suite, fx);
      if ("error" in built) {
        return failed(
          result,
          `Failed to load the test suite: invalid test "${table.name}": ${built.error}`,
        );
      }
      tests.push(...built.value);
    }

    for (const test of tests) this.#runTest(result, suite, test);
    return result;
  }

  #runTest(result: SuiteResult, suite: TestSuite, test: ConcreteTest): void {
    const name = {
      table: test.table.name,
      principal: test.principalKey,
      resource: test.resourceKey,
    };
    const record = (action: string, details: Details): void => {
      addActionResult(result, name, action, details, !isFilterSkipReason(details.skipReason));
    };
    const skipReason = this.#selection.skipReason({
      suite: suite.name,
      table: test.table.name,
      principalKey: test.principalKey,
      resourceKey: test.resourceKey,
      principal: test.principal,
      resource: test.resource,
      actions: test.actions,
      options: test.options,
      skip: test.table.skip === true,
      skipReason: test.table.skipReason,
    });
    if (skipReason !== undefined) {
      for (const action of test.actions) record(action, skipped(skipReason));
      return;
    }
    const { run, skipped: filtered } = this.#selection.partitionActions(test.actions);
    if (this.#config.skipBatching) {
      for (const action of run) record(action, this.#check(test, [action]).get(action)!);
    } else {
      const details = this.#check(test, run);
      for (const action of run) record(action, details.get(action)!);
    }
    for (const action of filtered) record(action, skipped(skipReasons.filterAction));
  }

  #check(test: ConcreteTest, actions: readonly string[]): Map<string, Details> {
    const out = new Map<string, Details>();
    const engine = this.#engines(engineOptionsOf(test.options));
    const givenNow = test.options?.now;
    let usedDefaultNow = false;
    const now =
      givenNow !== undefined
        ? () => givenNow
        : () => {
            usedDefaultNow = true;
            return goZeroTimeMs;
          };
    const explain = this.#config.explain === true;
    let outputs: CheckResult[];
    try {
      outputs = engine.check(
        [
          {
            principal: test.principal,
            resource: test.resource,
            actions,
            ...(test.auxData ? { auxData: test.auxData } : {}),
          },
        ],
        { now, explain },
      );
    } catch (e) {
      // The engine reports request problems as values; a throw is a bug worth showing, not hiding.
      for (const a of actions)
        out.set(a, { result: "RESULT_ERRORED", error: (e as Error).message });
      return out;
    }
    const actual = outputs[0];
    // The engine reads the clock only when a condition does, so this tells whether one did.
    const clockUsed = usedDefaultNow;
    for (const action of actions) {
      const explanation = explain ? actual?.explanation?.actions[action] : undefined;
      const withExplanation = (d: Details): Details => (explanation ? { ...d, explanation } : d);
      if (clockUsed) {
        out.set(action, withExplanation({ result: "RESULT_ERRORED", error: usedDefaultNowError }));
        continue;
      }
      if (!actual) {
        out.set(action, { result: "RESULT_ERRORED", error: "Empty response from server" });
        continue;
      }
      out.set(action, withExplanation(compare(test, action, actual)));
    }
    return out;
  }
}

function engineOptionsOf(options: TestOptions | undefined): EngineOptions {
  const out: {
    -readonly [K in keyof EngineOptions]: EngineOptions[K];
  } = {};
  if (!options) return out;
  if (options.lenientScopeSearch) out.lenientScopeSearch = true;
  if (options.globals && Object.keys(options.globals).length > 0) out.globals = options.globals;
  if (options.defaultPolicyVersion) out.defaultPolicyVersion = options.defaultPolicyVersion;
  if (options.defaultScope) out.defaultScope = options.defaultScope;
  if (options.strictEvaluation) out.strictEvaluation = true;
  return out;
}

function compare(test: ConcreteTest, action: string, actual: CheckResult): Details {
  const effect = actual.actions[action]?.effect;
  if (effect === undefined)
    return { result: "RESULT_ERRORED", error: `no result for action "${action}"` };
  const expected: Effect = test.expected.get(action) ?? "EFFECT_DENY";
  if (expected !== effect)
    return { result: "RESULT_FAILED", failure: { expected, actual: effect } };
  const mine = (actual.outputs ?? []).filter((o) => o.action === action);
  const wanted = test.expectedOutputs.get(action);
  if (wanted) {
    const bySrc = new Map<string, OutputEntry>();
    for (const o of mine) bySrc.set(o.src, o);
    const failures: OutputFailure[] = [];
    for (const [src, want] of [...wanted].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const have = bySrc.get(src);
      if (!have) failures.push({ src, missing: { expected: want } });
      else if (have.error !== undefined)
        failures.push({ src, errored: { expected: want, error: have.error } });
      else if (!jsonEqual(want, have.val)) {
        failures.push({ src, mismatched: { expected: want, actual: have.val } });
      }
    }
    if (failures.length > 0) {
      return { result: "RESULT_FAILED", failure: { expected, actual: effect, outputs: failures } };
    }
  }
  const outputs = mine.map(resultOutput);
  return {
    result: "RESULT_PASSED",
    success: outputs.length > 0 ? { effect, outputs } : { effect },
  };
}

function resultOutput(o: OutputEntry): TestOutputEntry {
  return {
    src: o.src,
    ...(o.error === undefined ? { val: o.val } : {}),
    ...(o.action !== undefined ? { action: o.action } : {}),
    ...(o.error !== undefined ? { error: o.error } : {}),
  };
}

function skipped(reason: string): Details {
  return reason ? { result: "RESULT_SKIPPED", skipReason: reason } : { result: "RESULT_SKIPPED" };
}

function failed(result: SuiteResult, error: string): SuiteResult {
  result.summary.overallResult = "RESULT_ERRORED";
  result.error = error;
  return result;
}
