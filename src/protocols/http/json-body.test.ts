import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { InvalidArgumentError } from "../../kernel/errors.ts";
import { locateJsonError, parseJsonBody } from "./json-body.ts";

const message = (body: string | Buffer): string => {
  try {
    parseJsonBody(typeof body === "string" ? Buffer.from(body) : body, 3);
  } catch (e) {
    assert.ok(e instanceof InvalidArgumentError);
    return e.message;
  }
  return "parsed";
};

describe("json body", () => {
  it("parses JSON, and reads an empty body as {}", () => {
    assert.deepEqual(parseJsonBody(Buffer.from('{"a":[1,{"b":null}]}')), { a: [1, { b: null }] });
    assert.deepEqual(parseJsonBody(Buffer.alloc(0)), {});
    assert.deepEqual(parseJsonBody(Buffer.from(" \n ")), {});
  });

  it("names the line, column and problem of malformed JSON", () => {
    assert.equal(
      message('{"a": x}'),
      "invalid JSON at line 1 column 7: expected a value, found `x`",
    );
    assert.equal(
      message('{\n  "a": 1,\n}'),
      "invalid JSON at line 3 column 1: expected a property name, found `}`",
    );
    assert.equal(message('{"a": 1'), "invalid JSON at line 1 column 8: unexpected end of input");
    assert.equal(
      message('{"a" 1}'),
      "invalid JSON at line 1 column 6: expected `:` after a property name, found `1`",
    );
    assert.equal(
      message("[1 2]"),
      "invalid JSON at line 1 column 4: expected `,` or `]`, found `2`",
    );
    assert.equal(
      message("{} {}"),
      "invalid JSON at line 1 column 4: expected the end of input, found `{`",
    );
    assert.equal(
      message('"\\q"'),
      "invalid JSON at line 1 column 2: invalid escape `\\q` in string",
    );
  });

  it("refuses invalid UTF-8 where it starts", () => {
    for (const bad of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) {
      const body = Buffer.concat([Buffer.from('{"é":"'), Buffer.from(bad), Buffer.from('"}')]);
      assert.equal(message(body), "invalid JSON at line 1 column 7: invalid UTF-8", String(bad));
    }
  });

  it("refuses nesting beyond the limit, strings and escapes aside", () => {
    assert.deepEqual(parseJsonBody(Buffer.from('[[["[[[[\\"[["]]]'), 3), [[['[[[["[[']]]);
    assert.equal(
      message('{"a":[{"b":[1]}]}'),
      "invalid JSON at line 1 column 12: nesting deeper than 3 levels",
    );
  });

  it("locates an error in every text JSON.parse refuses", () => {
    fc.assert(
      fc.property(
        fc.json(),
        fc.nat(),
        fc.constantFrom("", "x", ",", "}", "]", ":", '"', "\\"),
        (json, at, junk) => {
          const i = at % (json.length + 1);
          const text = json.slice(0, i) + junk + json.slice(i);
          let valid = true;
          try {
            JSON.parse(text);
          } catch {
            valid = false;
          }
          if (valid) return;
          const { offset, problem } = locateJsonError(text);
          assert.ok(offset >= 0 && offset <= text.length);
          assert.notEqual(problem, "not valid JSON", text);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
