// The arguments of `gatehouse compile`, parsed like `cerbos compile` (kong) parses them: the same
// flags, defaults, help text and error wording. Bad arguments are a UsageError (exit 80).

import { UsageError } from "./cli-io.ts";
import { colorLevels, type ColorLevel } from "./terminal-style.ts";

export type OutputFormat = "tree" | "list" | "json";
export type TestOutputFormat = OutputFormat | "junit";

export interface CompileFlags {
  readonly dir: string;
  readonly ignoreSchemas: boolean;
  readonly tests?: string;
  readonly testFilters: readonly string[];
  readonly skipTests: boolean;
  readonly skipBatching: boolean;
  readonly strictEvaluation: boolean;
  readonly output: OutputFormat;
  readonly testOutput?: TestOutputFormat;
  readonly color?: ColorLevel;
  readonly noColor: boolean;
  readonly verbose: boolean;
}

export const compileHelp = `Usage: gatehouse compile <dir> [flags]

Compile and test policies

Examples:

# Compile and run tests found in /path/to/policy/repo

gatehouse compile /path/to/policy/repo

# Compile but skip tests

gatehouse compile --skip-tests /path/to/policy/repo

# Compile and run tests matching a filter (globs for suite, test, principal,
resource, action)

gatehouse compile
--test-filter='suite=MySuite;test=album*;principal=alice;resource=my_album;action=view'
/path/to/policy/repo

# Multiple filters can be combined (all filter dimensions are merged)

gatehouse compile --test-filter='principal=alice,bob'
--test-filter='action=view,edit' /path/to/policy/repo

Arguments:
  <dir>    Policy directory

Flags:
  -h, --help                       Show context-sensitive help.
      --version                    Show gatehouse version

      --ignore-schemas             Ignore schemas during compilation
      --tests=STRING               [Deprecated] Path to the directory containing
                                   tests. Defaults to policy directory.
      --test-filter=TEST-FILTER    Filter tests by dimensions (suite, test,
                                   principal, resource, action). Format:
                                   'dimension=glob1,glob2;...'. Can be specified
                                   multiple times.
      --skip-tests                 Skip tests
      --skip-batching              Skip batching tests
      --strict-evaluation          Run tests with strict evaluation enabled
  -o, --output="tree"              Output format (tree,list,json)
      --test-output=TEST-OUTPUT    Test output format. If unspecified
                                   matches the value of the output flag.
                                   (tree,list,json,junit)
      --color=COLOR                Output color level
                                   (auto,never,always,256,16m). Defaults to
                                   auto.
      --no-color                   Disable colored output
      --verbose                    Verbose output on test failure
`;

const boolFlags = new Set([
  "ignore-schemas",
  "skip-tests",
  "skip-batching",
  "strict-evaluation",
  "no-color",
  "verbose",
]);
const valueFlags = new Set(["tests", "test-filter", "output", "test-output", "color"]);

/** Parses `compile`'s arguments; throws UsageError (exit 80, like Cerbos's kong parser). */
export function parseCompileArgs(args: readonly string[]): CompileFlags | "help" {
  const positional: string[] = [];
  const values = new Map<string, string[]>();
  const bools = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (arg === "-h" || arg === "--help") return "help";
    let name: string;
    let value: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      value = eq >= 0 ? arg.slice(eq + 1) : undefined;
    } else if (arg === "-o" || (arg.startsWith("-o") && arg.length > 2)) {
      name = "output";
      value = arg.length > 2 ? arg.slice(arg[2] === "=" ? 3 : 2) : undefined;
    } else if (arg.startsWith("-") && arg !== "-") {
      throw new UsageError(`unknown flag ${arg}`);
    } else {
      positional.push(arg);
      continue;
    }
    if (boolFlags.has(name)) {
      if (value !== undefined && value !== "true" && value !== "false") {
        throw new UsageError(`--${name}: invalid boolean value ${JSON.stringify(value)}`);
      }
      if (value !== "false") bools.add(name);
      continue;
    }
    if (!valueFlags.has(name)) throw new UsageError(`unknown flag --${name}`);
    if (value === undefined) {
      // `--color` alone asks for colours; every other flag needs its value.
      if (
        name === "color" &&
        (args[i + 1] === undefined || !colorLevels.includes(args[i + 1] as ColorLevel))
      ) {
        value = "always";
      } else {
        const next = args[i + 1];
        if (next === undefined)
          throw new UsageError(`--${name}: expected string value but got "EOF" (<EOF>)`);
        value = next;
        i++;
      }
    }
    const list = values.get(name) ?? [];
    list.push(value);
    values.set(name, list);
  }
  if (positional.length === 0) throw new UsageError('expected "<dir>"');
  if (positional.length > 1) throw new UsageError(`unexpected argument ${positional[1]}`);
  const last = (n: string): string | undefined => values.get(n)?.at(-1);
  const output = last("output") ?? "tree";
  if (!["tree", "list", "json"].includes(output)) {
    throw new UsageError(
      `--output must be one of "tree","list","json" but got ${JSON.stringify(output)}`,
    );
  }
  const testOutput = last("test-output");
  if (testOutput !== undefined && !["tree", "list", "json", "junit"].includes(testOutput)) {
    throw new UsageError(
      `--test-output must be one of "tree","list","json","junit" but got ${JSON.stringify(testOutput)}`,
    );
  }
  const color = last("color");
  if (color !== undefined && !colorLevels.includes(color as ColorLevel)) {
    throw new UsageError(`--color: invalid value for output color level: ${JSON.stringify(color)}`);
  }
  if (color !== undefined && bools.has("no-color")) {
    throw new UsageError("--color and --no-color can't be used together");
  }
  const tests = last("tests");
  return {
    dir: positional[0]!,
    ignoreSchemas: bools.has("ignore-schemas"),
    ...(tests !== undefined ? { tests } : {}),
    testFilters: values.get("test-filter") ?? [],
    skipTests: bools.has("skip-tests"),
    skipBatching: bools.has("skip-batching"),
    strictEvaluation: bools.has("strict-evaluation"),
    output: output as OutputFormat,
    ...(testOutput !== undefined ? { testOutput: testOutput as TestOutputFormat } : {}),
    ...(color !== undefined ? { color: color as ColorLevel } : {}),
    noColor: bools.has("no-color"),
    verbose: bools.has("verbose"),
  };
}
