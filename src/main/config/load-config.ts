// Loads the server configuration: the config file (Cerbos's `.cerbos.yaml` format, or Cerbos's
// built-in defaults when there is none), environment references expanded, `--set` overrides
// layered on top, every key checked against the catalogue, and the result typed and defaulted.
// All problems are reported together in one InvalidConfigError; keys Cerbos has but Gatehouse
// does not serve come back as warnings.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { normalizeDiagnostics, type Diagnostic } from "../../kernel/diagnostic.ts";
import { InvalidConfigError } from "../../kernel/errors.ts";
import { buildConfig } from "./build-config.ts";
import { mergeTrees, readConfigText, type ConfigNode, type Env } from "./config-tree.ts";
import { checkKeys, keyCatalogue } from "./key-catalogue.ts";
import { readSetArgument } from "./set-overrides.ts";
import type { GatehouseConfig } from "./types.ts";

export interface LoadConfigOptions {
  /** The config file (`--config`); relative to `cwd`. Without it Cerbos's defaults apply. */
  readonly file?: string;
  /** `--set key=value` arguments, in order. */
  readonly sets?: readonly string[];
  readonly env: Env;
  /** The working directory: relative paths in the config resolve against it, as in Cerbos. */
  readonly cwd: string;
}

export interface LoadedConfig {
  readonly config: GatehouseConfig;
  readonly warnings: readonly Diagnostic[];
}

export function loadConfig(options: LoadConfigOptions): LoadedConfig {
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  let tree: ConfigNode | undefined;
  const fileName = options.file;
  if (fileName !== undefined) {
    let text: string | undefined;
    try {
      text = readFileSync(resolve(options.cwd, fileName), "utf8");
    } catch (e) {
      const reason =
        (e as NodeJS.ErrnoException).code === "EISDIR"
          ? "it is a directory"
          : ((e as Error).message ?? String(e));
      errors.push({ file: fileName, error: "cannot read configuration file", description: reason });
    }
    if (text !== undefined) {
      const read = readConfigText(text, fileName, options.env);
      errors.push(...read.diagnostics);
      tree = read.root;
    }
  }
  // A file that cannot be read or expanded would only add follow-on noise below, so stop here;
  // problems in `--set` arguments are reported together with everything else.
  const unreadable = errors.length > 0;
  for (const argument of options.sets ?? []) {
    tree = mergeTrees(tree, readSetArgument(argument, options.env, errors));
  }
  if (unreadable) throw new InvalidConfigError(normalizeDiagnostics(errors));

  if (tree !== undefined) checkKeys(tree, keyCatalogue, "", errors, warnings);
  const config = buildConfig(
    tree,
    {
      cwd: options.cwd,
      fromFile: fileName !== undefined,
      rootPlace: {
        file: fileName ?? "<defaults>",
        ...(fileName === undefined ? {} : { line: 1, column: 1 }),
      },
      errors,
      warnings,
    },
    fileName === undefined ? undefined : resolve(options.cwd, fileName),
  );
  if (errors.length > 0) throw new InvalidConfigError(normalizeDiagnostics(errors));
  return { config, warnings: normalizeDiagnostics(warnings) };
}
