// A CEL environment: declared variables, message types and the functions of every library,
// merged once so that checking an expression only does map lookups.

import type { BindingReader, CelLibrary, MessageDecl, Overload, PathReader } from "./library.ts";
import { T, type CelType } from "./types.ts";

export interface Environment {
  readonly variables: ReadonlyMap<string, CelType>;
  /** Function name (possibly qualified) -> overloads from every library, in library order. */
  readonly functions: ReadonlyMap<string, readonly Overload[]>;
  readonly messages: ReadonlyMap<string, MessageDecl>;
  /** Identifiers that denote types when used as values (`int`, `google.protobuf.Timestamp`, `net.IP`). */
  readonly typeNames: ReadonlyMap<string, CelType>;
  /** Fast reads of some variables from the bindings (see CelEnvironmentOptions.bindingReaders). */
  readonly bindingReaders: ReadonlyMap<string, BindingReader>;
  /** Direct reads of whole select chains (see CelEnvironmentOptions.pathReader). */
  readonly pathReader: PathReader | undefined;
  /** Read `x in []` as false whatever `x` is (Cerbos's conditions; see empty-membership.ts). */
  readonly emptyMembershipIsFalse: boolean;
}

const BUILTIN_TYPE_NAMES: readonly [string, CelType][] = [
  ["bool", T.bool],
  ["int", T.int],
  ["uint", T.uint],
  ["double", T.double],
  ["string", T.string],
  ["bytes", T.bytes],
  ["null_type", T.null],
  ["list", T.list(T.dyn)],
  ["map", T.map(T.dyn, T.dyn)],
  ["type", T.type(T.dyn)],
  ["google.protobuf.Timestamp", T.timestamp],
  ["google.protobuf.Duration", T.duration],
  ["optional_type", T.optional(T.dyn)],
];

export function buildEnvironment(
  variables: Readonly<Record<string, CelType>>,
  libraries: readonly CelLibrary[],
  messages: readonly MessageDecl[],
  bindingReaders: Readonly<Record<string, BindingReader>> = {},
  emptyMembershipIsFalse = false,
  pathReader?: PathReader,
): Environment {
  const functions = new Map<string, Overload[]>();
  const msgs = new Map<string, MessageDecl>();
  const typeNames = new Map<string, CelType>(BUILTIN_TYPE_NAMES);
  const addMessage = (m: MessageDecl): void => {
    msgs.set(m.name, m);
    // Libraries name their opaque types (net.IP) as field-less messages.
    typeNames.set(
      m.name,
      Object.keys(m.fields).length === 0 && m.dynamicFields !== true
        ? T.opaque(m.name)
        : T.message(m.name),
    );
  };
  for (const lib of libraries) {
    for (const fn of lib.functions ?? []) {
      let list = functions.get(fn.name);
      if (list === undefined) functions.set(fn.name, (list = []));
      for (const o of fn.overloads) {
        // A later library may redefine an overload id (e.g. to replace an implementation).
        const at = list.findIndex((x) => x.id === o.id);
        if (at >= 0) list[at] = o;
        else list.push(o);
      }
    }
    for (const m of lib.messages ?? []) addMessage(m);
  }
  for (const m of messages) addMessage(m);
  return {
    variables: new Map(Object.entries(variables)),
    functions,
    messages: msgs,
    typeNames,
    bindingReaders: new Map(Object.entries(bindingReaders)),
    pathReader,
    emptyMembershipIsFalse,
  };
}
