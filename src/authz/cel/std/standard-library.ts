// The CEL standard library as Gatehouse declares it: operators, conversions, strings,
// timestamps and optionals. Always present in an environment; other libraries add to it.

import type { CelLibrary } from "../library.ts";
import { conversionFunctions } from "./conversions.ts";
import { operatorFunctions } from "./operators.ts";
import { optionalFunctions } from "./optionals.ts";
import { stringFunctions } from "./strings.ts";
import { timestampFunctions } from "./timestamps.ts";

export const standardLibrary: CelLibrary = {
  name: "cel.std",
  functions: [
    ...operatorFunctions,
    ...conversionFunctions,
    ...stringFunctions,
    ...timestampFunctions,
    ...optionalFunctions,
  ],
};
