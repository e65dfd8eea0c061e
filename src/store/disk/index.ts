// A policy repository on disk: which files are policies, schemas, test suites and fixtures.

export type { PolicyRepository, TestFixtures } from "./policy-repository.ts";
export { readPolicyRepository } from "./policy-repository.ts";
export type { DirectoryWatch, WatchOptions } from "./watch.ts";
export { watchDirectory } from "./watch.ts";
