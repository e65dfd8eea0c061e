// Colours for the CLI's human-readable output, on or off for the whole run. The palette follows
// `cerbos compile` so results look familiar; with colours off every function is the identity.

export interface Style {
  readonly enabled: boolean;
  readonly header: (s: string) => string;
  readonly suite: (s: string) => string;
  readonly fileName: (s: string) => string;
  readonly testCase: (s: string) => string;
  readonly principal: (s: string) => string;
  readonly resource: (s: string) => string;
  readonly action: (s: string) => string;
  readonly passed: (s: string) => string;
  readonly skipped: (s: string) => string;
  readonly failed: (s: string) => string;
  readonly errored: (s: string) => string;
  readonly errorMsg: (s: string) => string;
  readonly treeLine: (s: string) => string;
  readonly position: (s: string) => string;
}

const sgr =
  (open: string, close: string) =>
  (s: string): string =>
    `\u001b[${open}m${s}\u001b[${close}m`;

const plain = (s: string): string => s;

export function createStyle(enabled: boolean): Style {
  if (!enabled) {
    return {
      enabled,
      header: plain,
      suite: plain,
      fileName: plain,
      testCase: plain,
      principal: plain,
      resource: plain,
      action: plain,
      passed: plain,
      skipped: plain,
      failed: plain,
      errored: plain,
      errorMsg: plain,
      treeLine: plain,
      position: plain,
    };
  }
  return {
    enabled,
    header: sgr("97;1", "0;22"),
    suite: sgr("34;1", "0;22"),
    fileName: sgr("34", "0"),
    testCase: sgr("34", "0"),
    principal: sgr("36", "0"),
    resource: sgr("34", "0"),
    action: sgr("33", "0"),
    passed: sgr("32", "0"),
    skipped: sgr("33", "0"),
    failed: sgr("31", "0"),
    errored: sgr("31;1", "0;22"),
    errorMsg: sgr("31", "0"),
    treeLine: sgr("90", "0"),
    position: sgr("36", "0"),
  };
}

export type ColorLevel = "auto" | "never" | "always" | "256" | "16m";

export const colorLevels: readonly ColorLevel[] = ["auto", "never", "always", "256", "16m"];

/** `auto` means colours only when writing to a terminal and NO_COLOR is unset. */
export function colorsEnabled(
  level: ColorLevel,
  isTTY: boolean,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if (level === "never") return false;
  if (level !== "auto") return true;
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  if (env["FORCE_COLOR"] !== undefined && env["FORCE_COLOR"] !== "0") return true;
  return isTTY && env["TERM"] !== "dumb";
}
