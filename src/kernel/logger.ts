// Structured logs: one JSON object per line, with a level, an ISO timestamp, a message and
// fields. Child loggers carry fields (a component name, a call id) into every line they write.

export type LogLevel = "debug" | "info" | "warn" | "error";

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  readonly level?: LogLevel;
  /** Where lines go; one call per line, newline included. */
  readonly write: (line: string) => void;
  /** Epoch milliseconds; tests pin it. */
  readonly now?: () => number;
}

export function createLogger(options: LoggerOptions, base: LogFields = {}): Logger {
  const min = rank[options.level ?? "info"];
  const now = options.now ?? Date.now;
  const emit = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (rank[level] < min) return;
    const line = { level, time: new Date(now()).toISOString(), msg, ...base, ...fields };
    options.write(JSON.stringify(line, errorReplacer) + "\n");
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

/** A logger that drops everything, for tests and library use. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};

// Errors do not serialise with JSON.stringify; keep their message and code.
function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return code === undefined
      ? { name: value.name, message: value.message }
      : { name: value.name, message: value.message, code };
  }
  if (typeof value === "bigint") return value.toString();
  return value;
}
