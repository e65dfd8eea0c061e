// Cerbos's key set conformance cases (testdata/auxdata/*.yaml) replayed against our key set
// reading: each key is read as local data, as a local file and (JWK only) from a remote URL, and
// must load or fail with the error text the case names. Then Cerbos's own signing and verifying
// keys (testdata/auxdata/keys) verify a token end to end, as Cerbos's extraction test does.

import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { CompactSign, importJWK, type JWK } from "jose";
import { parse } from "yaml";
import { testdata } from "../../test/support/reference.ts";
import { createLogger, silentLogger } from "../kernel/logger.ts";
import { noMetrics } from "../kernel/metrics.ts";
import { parseKeySet } from "./key-set.ts";
import { RemoteKeySet } from "./remote-key-set.ts";
import { jwtConfig } from "./test-fixtures.ts";
import type { TokenRefusal } from "./token-refusal.ts";
import { createAuxDataVerifier } from "./verifier.ts";

interface AuxDataCase {
  readonly description: string;
  readonly input: { readonly key: string; readonly pem?: boolean };
  readonly wantErr?: string;
  readonly wantLocalErr?: string;
  readonly wantRemoteErr?: string;
}

const dir = testdata("auxdata");
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml"))
  .sort();
const strict = { optionalAlg: false, optionalKid: false };
const work = mkdtempSync(join(tmpdir(), "gatehouse-auxdata-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** The error a local read gives, or undefined when the keys load (and there is at least one). */
function localError(bytes: Uint8Array, pem: boolean): string | undefined {
  try {
    const set = parseKeySet(bytes, pem, strict);
    assert.ok(set.keys.length > 0);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

async function remoteError(key: string): Promise<string | undefined> {
  const errors: string[] = [];
  const logger = createLogger({
    level: "warn",
    write: (line) => {
      const entry = JSON.parse(line) as { error?: { message?: string } };
      if (entry.error?.message) errors.push(entry.error.message);
    },
  });
  const remote = new RemoteKeySet({
    id: "remote",
    url: "https://keys.example.com/key.jwk",
    insecure: strict,
    logger,
    fetch: () => Promise.resolve(new Response(key)),
    now: Date.now,
  });
  try {
    await remote.start();
    const set = remote.cached();
    if (set) {
      assert.ok(set.keys.length > 0);
      return undefined;
    }
    return errors[0] ?? "no key set and no error";
  } finally {
    remote.close();
  }
}

describe("Cerbos auxdata key set cases", () => {
  assert.ok(files.length >= 10, `expected the reference cases in ${dir}`);
  for (const file of files) {
    const tc = parse(readFileSync(join(dir, file), "utf8")) as AuxDataCase;
    const pem = tc.input.pem === true;
    const bytes = new TextEncoder().encode(tc.input.key);
    const wantLocal = tc.wantErr ?? tc.wantLocalErr;
    const wantRemote = tc.wantErr ?? tc.wantRemoteErr;

    it(`${file}: local (data and file): ${tc.description}`, async () => {
      const fromData = localError(
        Buffer.from(Buffer.from(bytes).toString("base64"), "base64"),
        pem,
      );
      const path = join(work, file);
      writeFileSync(path, bytes);
      const fromFile = localError(await readFile(path), pem);
      for (const got of [fromData, fromFile]) {
        if (wantLocal === undefined) assert.equal(got, undefined);
        else
          assert.ok(
            got?.includes(wantLocal),
            `want an error containing "${wantLocal}", got ${got}`,
          );
      }
    });

    if (!pem)
      it(`${file}: remote: ${tc.description}`, async () => {
        const got = await remoteError(tc.input.key);
        if (wantRemote === undefined) assert.equal(got, undefined);
        else
          assert.ok(
            got?.includes(wantRemote),
            `want an error containing "${wantRemote}", got ${got}`,
          );
      });
  }
});

describe("Cerbos's signing and verifying keys", () => {
  const keysDir = testdata("auxdata", "keys");

  const tokenSignedWithCerbosKey = async (exp: number): Promise<string> => {
    const signing = JSON.parse(readFileSync(join(keysDir, "signing_key.jwk"), "utf8")) as JWK;
    const key = await importJWK(signing, "ES384");
    const claims = {
      iss: "cerbos-test-suite",
      aud: "cerbos-jwt-tests",
      exp,
      customString: "foobar",
      customInt: 42,
      customArray: ["A", "B", "C"],
      customMap: { A: "AA", B: "BB", C: "CC" },
    };
    return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: "ES384", kid: signing.kid ?? "" })
      .sign(key);
  };

  it("verify a token from a local file with a minute of skew, as Cerbos's extraction test", async () => {
    const nowMs = Date.UTC(2026, 0, 1);
    const nowS = nowMs / 1000;
    const v = await createAuxDataVerifier(
      jwtConfig(
        [{ id: "local_file", local: { file: join(keysDir, "verify_key.jwk"), pem: false } }],
        {
          acceptableTimeSkewSeconds: 60,
        },
      ),
      {},
      { logger: silentLogger, metrics: noMetrics, now: () => nowMs, readFile: (p) => readFile(p) },
    );
    const cases: [string, number, boolean][] = [
      ["Valid", nowS + 3600, true],
      ["ValidWithinSkew", nowS - 2, true],
      ["ExpiredJustBeyondSkew", nowS - 61, false],
      ["Expired", nowS - 3600, false],
    ];
    for (const [name, exp, valid] of cases) {
      const token = await tokenSignedWithCerbosKey(exp);
      const got = await v.verify({ jwt: { token } }).then(
        (r) => r,
        (e: Error) => (e.cause as TokenRefusal).reason,
      );
      if (!valid) {
        assert.equal(got, "expired", name);
        continue;
      }
      assert.deepEqual(
        got,
        {
          jwt: {
            iss: "cerbos-test-suite",
            aud: ["cerbos-jwt-tests"],
            exp: new Date(exp * 1000).toISOString().replace(".000Z", "Z"),
            customString: "foobar",
            customInt: 42,
            customArray: ["A", "B", "C"],
            customMap: { A: "AA", B: "BB", C: "CC" },
          },
        },
        name,
      );
    }
    v.close();
  });
});
