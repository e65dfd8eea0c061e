// Turning a request body into a JSON value: valid UTF-8, bounded nesting, one JSON.parse.
// Cerbos's gateway reads an empty body as `{}` and refuses invalid UTF-8 and nesting beyond
// Go's limit; a parse error here names the line and column, which V8's messages do not
// always do. The checks cost nothing on the common path: the nesting scan runs only on
// bodies long enough to nest that deep, and the error locator only after a parse fails.

import { isUtf8 } from "node:buffer";
import { InvalidArgumentError } from "../../kernel/errors.ts";

/**
 * Deepest accepted nesting of arrays and objects, the request's own object included. Go's
 * decoder (Cerbos) allows 10000; decoding, evaluation and audit logging walk values
 * recursively, so Gatehouse refuses well before a stack could run out.
 */
export const maxJsonDepth = 1000;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Parses a request body. An empty (or all-whitespace) body is `{}`, as Cerbos's gateway reads
 * it. Throws InvalidArgumentError for invalid UTF-8, nesting deeper than `maxDepth` and
 * malformed JSON, each with the line and column of the problem.
 */
export function parseJsonBody(body: Buffer, maxDepth: number = maxJsonDepth): unknown {
  if (!isUtf8(body)) {
    const at = firstInvalidUtf8(body);
    const text = body.toString("utf8", 0, at);
    throw jsonError(text, text.length, "invalid UTF-8");
  }
  // depth d needs at least d opening and d closing bytes
  if (body.length > 2 * maxDepth) {
    const at = tooDeepAt(body, maxDepth);
    if (at >= 0) {
      const text = body.toString("utf8", 0, at);
      throw jsonError(text, text.length, `nesting deeper than ${maxDepth} levels`);
    }
  }
  const text = body.toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    if (text.trim() === "") return {};
    const { offset, problem } = locateJsonError(text);
    throw jsonError(text, offset, problem);
  }
}

function jsonError(text: string, offset: number, problem: string): InvalidArgumentError {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return new InvalidArgumentError(
    "",
    `invalid JSON at line ${line} column ${offset - lineStart + 1}: ${problem}`,
  );
}

/** Byte offset of the first opening bracket that nests deeper than `maxDepth`, or -1. */
function tooDeepAt(body: Buffer, maxDepth: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const b = body[i]!;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      if (++depth > maxDepth) return i;
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) depth--;
  }
  return -1;
}

/** Byte offset where the UTF-8 sequence stops being valid (only called when it is not). */
function firstInvalidUtf8(body: Buffer): number {
  let i = 0;
  while (i < body.length) {
    const b = body[i]!;
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = body[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return i;
}

/**
 * Finds where and why a text that JSON.parse refused stops being JSON. Iterative, so any
 * nesting is safe; only runs after a failed parse.
 */
export function locateJsonError(text: string): { offset: number; problem: string } {
  const n = text.length;
  let i = 0;
  // the open containers, innermost last: true for an object, false for an array
  const stack: boolean[] = [];
  const found = (): string => (i >= n ? "the end of input" : `\`${text[i]}\``);
  const fail = (expected: string): { offset: number; problem: string } => ({
    offset: i,
    problem: i >= n ? "unexpected end of input" : `expected ${expected}, found ${found()}`,
  });
  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  /** Scans a string at `i`; returns a problem, or undefined with `i` after it. */
  const scanString = (): string | undefined => {
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c < 0x20) return "control character in string";
      if (c !== 0x5c) {
        i++;
        continue;
      }
      const e = text[i + 1];
      if (e === undefined) break;
      if (e === "u") {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)))
          return "invalid `\\u` escape in string";
        i += 6;
      } else if ('"\\/bfnrt'.includes(e)) i += 2;
      else return `invalid escape \`\\${e}\` in string`;
    }
    i = n;
    return "unexpected end of input";
  };
  /** Scans a property name and its colon. */
  const scanKey = (): { offset: number; problem: string } | undefined => {
    ws();
    if (text[i] !== '"') return fail("a property name");
    const p = scanString();
    if (p !== undefined) return { offset: i, problem: p };
    ws();
    if (text[i] !== ":") return fail("`:` after a property name");
    i++;
    return undefined;
  };

  for (;;) {
    ws();
    const c = text[i];
    if (c === "{" || c === "[") {
      const isObject = c === "{";
      i++;
      ws();
      if (text[i] !== (isObject ? "}" : "]")) {
        stack.push(isObject);
        if (isObject) {
          const p = scanKey();
          if (p) return p;
        }
        continue;
      }
      i++;
    } else if (c === '"') {
      const p = scanString();
      if (p !== undefined) return { offset: i, problem: p };
    } else {
      const m = /^(?:true|false|null|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)/.exec(
        text.slice(i, i + 400),
      );
      if (!m) return fail("a value");
      i += m[0].length;
    }
    // after a complete value: close containers, or move on to the next element
    for (;;) {
      ws();
      const isObject = stack[stack.length - 1];
      if (isObject === undefined) {
        if (i < n) return fail("the end of input");
        // JSON.parse refused what this scanner accepts; say so without inventing a position
        return { offset: n, problem: "not valid JSON" };
      }
      const close = isObject ? "}" : "]";
      if (text[i] === close) {
        stack.pop();
        i++;
        continue;
      }
      if (text[i] !== ",") return fail(`\`,\` or \`${close}\``);
      i++;
      if (isObject) {
        const p = scanKey();
        if (p) return p;
      }
      break;
    }
  }
}
