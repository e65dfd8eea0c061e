// The one base class for errors Gatehouse throws, each with a stable literal code.
// Request-path failures of a condition are values, not exceptions; these are for bad input
// at an API boundary, I/O and configuration. protocols/ maps codes to HTTP and gRPC statuses.

import { formatDiagnostic, type Diagnostic } from "./diagnostic.ts";

export type GatehouseErrorCode =
  "INVALID_ARGUMENT" | "INVALID_POLICY" | "INVALID_CONFIG" | "NOT_FOUND" | "IO" | "INTERNAL";

export class GatehouseError extends Error {
  readonly code: GatehouseErrorCode;
  constructor(code: GatehouseErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = "GatehouseError";
  }
}

/** A request that does not have the shape the API requires; `path` points at the problem. */
export class InvalidArgumentError extends GatehouseError {
  readonly path: string;
  constructor(path: string, message: string) {
    super("INVALID_ARGUMENT", path ? `${path}: ${message}` : message);
    this.path = path;
    this.name = "InvalidArgumentError";
  }
}

/** Policies that could not be compiled; the diagnostics list every problem. */
export class InvalidPolicyError extends GatehouseError {
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    super("INVALID_POLICY", `${diagnostics.length} problem(s) in policies`);
    this.diagnostics = diagnostics;
    this.name = "InvalidPolicyError";
  }
}

/** A server configuration that cannot be used; the diagnostics list every problem, the message prints them. */
export class InvalidConfigError extends GatehouseError {
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    super(
      "INVALID_CONFIG",
      `invalid configuration: ${diagnostics.length} problem(s)\n${diagnostics.map((d) => `  ${formatDiagnostic(d)}`).join("\n")}`,
    );
    this.diagnostics = diagnostics;
    this.name = "InvalidConfigError";
  }
}
