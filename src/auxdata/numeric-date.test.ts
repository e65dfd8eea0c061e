import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatNumericDate, parseNumericDate } from "./numeric-date.ts";

const seconds = (v: unknown): bigint | string => {
  const r = parseNumericDate(v);
  return r.ok ? r.seconds : "refused";
};

describe("parseNumericDate", () => {
  it("reads numbers, dropping the fraction", () => {
    assert.equal(seconds(1_900_000_000), 1_900_000_000n);
    assert.equal(seconds(1_900_000_000.99), 1_900_000_000n);
    assert.equal(seconds(0), 0n);
    assert.equal(seconds(1.9e9), 1_900_000_000n);
  });

  it("refuses negative, non-finite and out-of-range numbers", () => {
    for (const v of [-1, -0.5, -0, Infinity, NaN, 2 ** 63, 1e19])
      assert.equal(seconds(v), "refused", String(v));
  });

  it("reads digit strings with an optional fraction after the first dot", () => {
    assert.equal(seconds("1900000000"), 1_900_000_000n);
    assert.equal(seconds("1900000000.5"), 1_900_000_000n);
    assert.equal(seconds("1900000000."), 1_900_000_000n);
    assert.equal(seconds("1900000000.5.5"), 1_900_000_000n);
    assert.equal(seconds("001"), 1n);
    for (const v of ["", ".", ".5", "1.9e9", " 1", "+1", "-1", "0x10"])
      assert.equal(seconds(v), "refused", v);
  });

  it("reads RFC 3339 strings, honouring the offset and dropping fractions", () => {
    assert.equal(seconds("2030-01-01T00:00:00Z"), 1_893_456_000n);
    assert.equal(seconds("2030-01-01T02:00:00+02:00"), 1_893_456_000n);
    assert.equal(seconds("2030-01-01T00:00:00.999Z"), 1_893_456_000n);
    assert.equal(seconds("1969-12-31T23:59:59Z"), -1n);
    for (const v of [
      "2030-02-30T00:00:00Z",
      "2030-01-01T24:00:00Z",
      "2030-01-01 00:00:00Z",
      "2030-01-01T00:00:00",
    ])
      assert.equal(seconds(v), "refused", v);
  });

  it("refuses other types", () => {
    for (const v of [null, true, {}, []]) assert.equal(seconds(v), "refused");
  });

  it("refuses seconds past where Cerbos's time type overflows", () => {
    assert.equal(seconds("9223372036854775807"), "refused");
    assert.equal(
      seconds(String(9_223_372_036_854_775_807n - 62_135_596_800n)),
      9_223_372_036_854_775_807n - 62_135_596_800n,
    );
  });
});

describe("formatNumericDate", () => {
  it("prints RFC 3339 in UTC with whole seconds", () => {
    assert.equal(formatNumericDate(0n), "1970-01-01T00:00:00Z");
    assert.equal(formatNumericDate(1_800_000_000n), "2027-01-15T08:00:00Z");
    assert.equal(formatNumericDate(951_782_400n), "2000-02-29T00:00:00Z");
    assert.equal(formatNumericDate(-1n), "1969-12-31T23:59:59Z");
  });

  it("prints years past 9999 in full, as Cerbos does", () => {
    assert.equal(formatNumericDate(253_402_300_900n), "10000-01-01T00:01:40Z");
    assert.equal(formatNumericDate(1_000_000_000_000n), "33658-09-27T01:46:40Z");
    assert.equal(formatNumericDate(1_000_000_000_000_000_000n), "31688740476-10-23T01:46:40Z");
    assert.equal(
      formatNumericDate(9_223_372_036_854_775_807n - 62_135_596_800n),
      "292277024627-12-06T15:30:07Z",
    );
  });

  it("agrees with Date for a spread of instants", () => {
    for (let s = -5_000_000_000; s < 250_000_000_000; s += 7_777_777_777) {
      assert.equal(
        formatNumericDate(BigInt(s)),
        new Date(s * 1000).toISOString().replace(".000Z", "Z"),
      );
    }
  });
});
