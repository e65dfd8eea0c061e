// The policy test runner's public face: Cerbos test suites (`*_test.yaml`) and their
// `testdata/` fixtures in, Cerbos-shaped TestResults out. Used by `gatehouse compile`.

export { runTestSuites, usedDefaultNowError } from "./verify.ts";
export type {
  EngineFactory,
  FixtureSource,
  SourceFile,
  VerifyConfig,
  VerifyInput,
} from "./verify.ts";
export {
  isFilterSkipReason,
  mergeTestFilters,
  parseTestFilter,
  skipReasons,
} from "./test-filter.ts";
export type { TestFilter, TestSelection } from "./test-filter.ts";
export type * from "./test-results.ts";
export type * from "./suite-model.ts";
