// Policy test suites and fixtures as Cerbos defines them (cerbos.policy.v1.TestSuite,
// TestTable, TestFixture, TestOptions), with Cerbos's JSON field names. Values here are
// decoded and validated; defaults are applied by the runner.

import type { AuxData, Principal, Resource } from "../engine/types.ts";
import type { Effect, JsonValue } from "../policy/model.ts";

export interface TestOptions {
  /** Epoch milliseconds of the `now` timestamp. */
  readonly now?: number;
  readonly lenientScopeSearch?: boolean;
  readonly globals?: Readonly<Record<string, JsonValue>>;
  readonly defaultPolicyVersion?: string;
  readonly defaultScope?: string;
  readonly strictEvaluation?: boolean;
}

export interface OutputExpectations {
  readonly action: string;
  readonly expected: readonly { readonly src: string; readonly val: JsonValue }[];
}

export interface Expectation {
  readonly principal?: string;
  readonly resource?: string;
  readonly principals?: readonly string[];
  readonly resources?: readonly string[];
  readonly principalGroups?: readonly string[];
  readonly resourceGroups?: readonly string[];
  /** Effects as written; validation guarantees EFFECT_ALLOW or EFFECT_DENY. */
  readonly actions: Readonly<Record<string, Effect>>;
  readonly outputs?: readonly OutputExpectations[];
}

export interface TestTableInput {
  readonly principals?: readonly string[];
  readonly resources?: readonly string[];
  readonly principalGroups?: readonly string[];
  readonly resourceGroups?: readonly string[];
  readonly actions: readonly string[];
  readonly auxData?: string;
}

export interface TestTable {
  readonly name: string;
  readonly description?: string;
  readonly skip?: boolean;
  readonly skipReason?: string;
  readonly input: TestTableInput;
  readonly expected: readonly Expectation[];
  readonly options?: TestOptions;
}

export interface PrincipalGroup {
  readonly principals: readonly string[];
}

export interface ResourceGroup {
  readonly resources: readonly string[];
}

export interface TestSuite {
  readonly name: string;
  readonly description?: string;
  readonly skip?: boolean;
  readonly skipReason?: string;
  readonly tests: readonly TestTable[];
  readonly principals?: Readonly<Record<string, Principal>>;
  readonly resources?: Readonly<Record<string, Resource>>;
  readonly auxData?: Readonly<Record<string, AuxData>>;
  readonly options?: TestOptions;
  readonly principalGroups?: Readonly<Record<string, PrincipalGroup>>;
  readonly resourceGroups?: Readonly<Record<string, ResourceGroup>>;
}

export interface PrincipalFixtures {
  readonly principals?: Readonly<Record<string, Principal>>;
  readonly principalGroups?: Readonly<Record<string, PrincipalGroup>>;
}

export interface ResourceFixtures {
  readonly resources?: Readonly<Record<string, Resource>>;
  readonly resourceGroups?: Readonly<Record<string, ResourceGroup>>;
}

export interface AuxDataFixtures {
  readonly auxData?: Readonly<Record<string, AuxData>>;
}
