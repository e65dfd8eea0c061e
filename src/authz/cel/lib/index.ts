// The cel-go extension libraries Cerbos 0.55 turns on (strings, math, lists, sets, encoders,
// network, regex), as CelLibrary declarations for the Gatehouse CEL environment. Bindings
// (`cel.bind`), two-variable comprehensions and optionals are macros or core features and
// live in the CEL core instead.

import type { CelLibrary } from "../library.ts";
import { encodersLibrary } from "./encoders.ts";
import { listsLibrary } from "./lists.ts";
import { mathLibrary } from "./math.ts";
import { networkLibrary } from "./network.ts";
import { regexLibrary } from "./regex.ts";
import { setsLibrary } from "./sets.ts";
import { stringsLibrary } from "./strings.ts";

export {
  encodersLibrary,
  listsLibrary,
  mathLibrary,
  networkLibrary,
  regexLibrary,
  setsLibrary,
  stringsLibrary,
};
export { CelCIDR, CelIP } from "./network.ts";
export { compileRe2 } from "./regex.ts";

/** Every extension library, in the order cel-go's environment declares them. */
export const extensionLibraries: readonly CelLibrary[] = [
  stringsLibrary,
  encodersLibrary,
  mathLibrary,
  listsLibrary,
  setsLibrary,
  networkLibrary,
  regexLibrary,
];
