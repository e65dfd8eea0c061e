import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { formatDiagnostic } from "../../kernel/diagnostic.ts";
import { InvalidConfigError } from "../../kernel/errors.ts";
import { loadConfig, type LoadConfigOptions } from "./index.ts";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../../..");

const work = mkdtempSync(join(tmpdir(), "gatehouse-config-"));
after(() => rmSync(work, { recursive: true, force: true }));
mkdirSync(join(work, "policies"));
mkdirSync(join(work, "other-policies"));
for (const name of ["cert.pem", "key.pem", "ca.pem", "keys.jwks"])
  writeFileSync(join(work, name), "x");

let counter = 0;
/** Writes `text` as a config file in the work folder and returns its name (relative to it). */
function configFile(text: string): string {
  const name = `config-${++counter}.yaml`;
  writeFileSync(join(work, name), text);
  return name;
}

function load(text: string | undefined, rest: Partial<LoadConfigOptions> = {}) {
  return loadConfig({
    ...(text === undefined ? {} : { file: configFile(text) }),
    env: {},
    cwd: work,
    ...rest,
  });
}

/** The formatted problems of a config that must fail to load. */
function problems(text: string | undefined, rest: Partial<LoadConfigOptions> = {}): string[] {
  try {
    load(text, rest);
  } catch (e) {
    assert.ok(e instanceof InvalidConfigError, `expected InvalidConfigError, got ${String(e)}`);
    assert.equal(e.code, "INVALID_CONFIG");
    return e.diagnostics.map(formatDiagnostic);
  }
  assert.fail("the config loaded, but it should not have");
}

const minimal = "storage:\n  driver: disk\n  disk:\n    directory: policies\n";

describe("defaults", () => {
  test("without a config file, Cerbos's built-in defaults apply, with token verification on", () => {
    const { config, warnings } = load(undefined);
    assert.deepEqual(warnings, []);
    assert.deepEqual(config.storage, {
      driver: "disk",
      directory: join(work, "policies"),
      watchForChanges: true,
    });
    assert.equal(config.server.httpListenAddr, ":3592");
    assert.equal(config.server.grpcListenAddr, ":3593");
    assert.deepEqual(config.server.requestLimits, {
      maxActionsPerResource: 50,
      maxResourcesPerRequest: 50,
    });
    assert.equal(config.server.maxRequestBodyBytes, 4 * 1024 * 1024);
    assert.equal(config.server.tls, undefined);
    // Cerbos's default config disables verification; Gatehouse does not.
    assert.equal(config.auxData.jwt.disableVerification, false);
    assert.deepEqual(config.auxData.jwt.keySets, []);
    assert.equal(config.auxData.jwt.acceptableTimeSkewSeconds, 0);
    assert.equal(config.auxData.jwt.cacheSize, 256);
    assert.deepEqual(config.engine, {
      defaultPolicyVersion: "default",
      defaultScope: "",
      lenientScopeSearch: false,
      globals: {},
      strictEvaluation: false,
    });
    assert.equal(config.schema.enforcement, "none");
    assert.equal(config.audit.enabled, false);
    assert.equal(config.gatehouse.principalFromToken.enabled, false);
    assert.equal(config.gatehouse.principalFromToken.explicitPrincipal, "reject");
    assert.equal(config.gatehouse.workers, 0);
    assert.equal(config.gatehouse.log.level, "info");
    assert.equal(config.source, undefined);
  });

  test("without a config file and without ./policies, the missing directory is reported", () => {
    const empty = mkdtempSync(join(work, "empty-"));
    const found = problems(undefined, { cwd: empty });
    assert.equal(found.length, 1);
    assert.match(found[0] ?? "", /default policy directory `.*policies` does not exist/);
  });

  test("a config file gets Cerbos's section defaults: watching off, listeners on 3592/3593", () => {
    const { config, warnings } = load(minimal);
    assert.deepEqual(warnings, []);
    assert.equal(config.storage.watchForChanges, false);
    assert.equal(config.server.httpListenAddr, ":3592");
    assert.deepEqual(config.server.cors, {
      disabled: false,
      allowedOrigins: ["*"],
      allowedHeaders: ["accept", "content-type", "user-agent", "x-requested-with"],
      maxAge: 0,
    });
    assert.equal(config.source, join(work, `config-${counter}.yaml`));
  });

  test("relative paths resolve against the working directory, as in Cerbos", () => {
    const nested = join(work, "nested");
    mkdirSync(nested, { recursive: true });
    writeFileSync(join(nested, "c.yaml"), minimal);
    const { config } = loadConfig({ file: "nested/c.yaml", env: {}, cwd: work });
    assert.equal(config.storage.directory, join(work, "policies"));
  });
});

describe("interpolation", () => {
  test("variables and defaults expand in nested values, typed after expansion", () => {
    const { config } = load(
      [
        "# a reference in a comment is never expanded: ${NOT_SET_ANYWHERE}",
        "server:",
        '  httpListenAddr: ":${PORT:3592}"',
        "  requestLimits:",
        "    maxResourcesPerRequest: ${MAX_RES:20}",
        "storage:",
        "  driver: disk",
        "  disk:",
        "    directory: $POLICIES",
        "    watchForChanges: ${WATCH:yes}",
        "engine:",
        '  defaultScope: ${SCOPE:""}',
        "  globals:",
        "    env: ${ENVIRONMENT}",
        "    nested:",
        "      list: [a, '${ITEM:b}']",
        "    structured: ${JSON_VALUE}",
        '    quotedNumber: "${NUMBER}"',
        "    literal: 'cost: $$5 ${ENVIRONMENT}'",
        "    url: https://${HOST:example.com}/x",
        "    colonDefault: ${NOT_SET:a:b}",
      ].join("\n"),
      {
        env: {
          PORT: "8080",
          POLICIES: "other-policies",
          ENVIRONMENT: "prod",
          JSON_VALUE: '{"a": [1, "x"]}',
          NUMBER: "42",
        },
      },
    );
    assert.equal(config.server.httpListenAddr, ":8080");
    assert.equal(config.server.requestLimits.maxResourcesPerRequest, 20);
    assert.equal(config.storage.directory, join(work, "other-policies"));
    assert.equal(config.storage.watchForChanges, true);
    assert.equal(config.engine.defaultScope, "");
    assert.deepEqual(config.engine.globals, {
      env: "prod",
      nested: { list: ["a", "b"] },
      structured: { a: [1, "x"] },
      // Cerbos re-reads a plain-written value after expansion, even when the author quoted it.
      quotedNumber: 42,
      literal: "cost: $5 prod",
      url: "https://example.com/x",
      colonDefault: "a:b",
    });
  });

  test("a variable that is not set and has no default is an error at its place", () => {
    const found = problems(
      `${minimal}engine:\n  globals:\n    a: \${MISSING_ONE}\n    b: \${MISSING_TWO:}\n`,
    );
    assert.deepEqual(
      found.map((line) => line.replace(/ \(.*/, "")),
      [
        `config-${counter}.yaml:7:8 undefined environment variable`,
        `config-${counter}.yaml:8:8 undefined environment variable`,
      ],
    );
    assert.match(found[0] ?? "", /`MISSING_ONE` is not set/);
  });

  test("YAML 1.1 scalars are read as Cerbos reads them", () => {
    const { config } = load(
      `${minimal}    watchForChanges: on\nengine:\n  globals:\n    octal: 017\n    under: 1_000\n    yes: yes\n    text: 1:30\n`,
    );
    assert.equal(config.storage.watchForChanges, true);
    assert.deepEqual(config.engine.globals, { octal: 15, under: 1000, yes: true, text: "1:30" });
  });
});

describe("--set", () => {
  test("overrides are typed as Helm types them and layered over the file", () => {
    const { config } = load(minimal, {
      sets: [
        "engine.globals.env=prod",
        "server.requestLimits.maxResourcesPerRequest=10",
        "storage.disk.watchForChanges=true",
        "engine.globals.float=1.5,engine.globals.leadingZero=010",
        "engine.globals.nothing=null",
        "server.cors.allowedOrigins[1]=https://b.example",
        "engine.globals.fromEnv=$HOSTNAME_X",
        "server.httpListenAddr=127.0.0.1:0",
        "server.httpListenAddr=127.0.0.1:9999",
      ],
      env: { HOSTNAME_X: "box" },
    });
    assert.equal(config.server.requestLimits.maxResourcesPerRequest, 10);
    assert.equal(config.storage.watchForChanges, true);
    assert.equal(config.server.httpListenAddr, "127.0.0.1:9999");
    assert.deepEqual(config.engine.globals, {
      env: "prod",
      float: "1.5",
      leadingZero: "010",
      nothing: null,
      fromEnv: "box",
    });
    // As in Cerbos, an indexed override replaces the list.
    assert.deepEqual(config.server.cors.allowedOrigins, ["", "https://b.example"]);
  });

  test("problems in overrides name the --set argument", () => {
    const found = problems(minimal, {
      sets: ["server.requestLimits.maxResourcesPerRequest=0", "engine.bogus=1", "nokey"],
    });
    assert.deepEqual(found, [
      "--set=engine.bogus=1 unknown configuration key (`engine.bogus` is not a setting in `engine`)",
      "--set=nokey invalid override (`nokey` has no value (expected `key=value`; commas separate overrides))",
      "--set=server.requestLimits.maxResourcesPerRequest=0 invalid configuration value (`server.requestLimits.maxResourcesPerRequest` must be between 1 and 500, not `0`)",
    ]);
    assert.match(
      problems(minimal, { sets: ["engine.globals.x=${UNSET_VAR}"] })[0] ?? "",
      /^--set=engine\.globals\.x=\$\{UNSET_VAR\} undefined environment variable \(environment variable `UNSET_VAR` is not set/,
    );
  });

  test("overrides work without a config file", () => {
    const { config } = load(undefined, { sets: ["storage.disk.directory=other-policies"] });
    assert.equal(config.storage.directory, join(work, "other-policies"));
    assert.equal(config.storage.watchForChanges, true);
  });
});

describe("keys", () => {
  test("unknown keys are errors with their place and a hint when close to a known key", () => {
    const found = problems(
      `server:\n  httpListenAdr: ":1"\n${minimal}engine:\n  strictEvaluaton: true\n  zzzzzzzz: 1\nserverr: {}\n`,
    );
    const f = `config-${counter}.yaml`;
    assert.deepEqual(found, [
      `${f}:2:3 unknown configuration key (\`server.httpListenAdr\` is not a setting in \`server\`; did you mean \`httpListenAddr\`?)`,
      `${f}:8:3 unknown configuration key (\`engine.strictEvaluaton\` is not a setting in \`engine\`; did you mean \`strictEvaluation\`?)`,
      `${f}:9:3 unknown configuration key (\`engine.zzzzzzzz\` is not a setting in \`engine\`)`,
      `${f}:10:1 unknown configuration key (\`serverr\` is not a setting at the top level; did you mean \`server\`?)`,
    ]);
  });

  test("Cerbos keys Gatehouse does not serve are warnings naming the key", () => {
    const { warnings } = load(
      `${minimal}telemetry:\n  disabled: true\nserver:\n  adminAPI:\n    enabled: true\ntracing:\n  sampleProbability: 0.5\naudit:\n  enabled: true\n  backend: kafka\n`,
    );
    const f = `config-${counter}.yaml`;
    assert.deepEqual(warnings.map(formatDiagnostic), [
      `${f}:5:1 ignored configuration key (\`telemetry\` is a Cerbos setting gatehouse does not serve, so it is ignored: gatehouse sends no telemetry)`,
      `${f}:8:3 ignored configuration key (\`server.adminAPI\` is a Cerbos setting gatehouse does not serve, so it is ignored: gatehouse has no admin API)`,
      `${f}:10:1 ignored configuration key (\`tracing\` is a Cerbos setting gatehouse does not serve, so it is ignored: gatehouse does not export traces)`,
      `${f}:14:12 configuration warning (audit backend \`kafka\` is not served, so audit logging is off; gatehouse writes audit logs with the \`file\` backend)`,
    ]);
  });

  test("another storage driver is an error saying only disk is served", () => {
    const found = problems("storage:\n  driver: postgres\n  postgres:\n    url: postgres://x\n");
    assert.deepEqual(found, [
      `config-${counter}.yaml:2:11 invalid configuration value (storage driver \`postgres\` is not served; gatehouse serves only \`disk\`)`,
    ]);
    assert.match(problems("storage:\n  driver: dsk\n")[0] ?? "", /did you mean `disk`\?/);
  });
});

describe("validation", () => {
  test("every problem is reported at once with file:line:col", () => {
    const f = configFile(
      [
        "server:", // 1
        "  httpListenAddr: nonsense", // 2
        "  grpcListenAddr: '[::1:80'", // 3
        "  requestLimits:", // 4
        "    maxActionsPerResource: -1", // 5
        "    maxResourcesPerRequest: many", // 6
        "  tls:", // 7
        "    cert: missing-cert.pem", // 8
        "storage:", // 9
        "  driver: disk", // 10
        "  disk:", // 11
        "    directory: no-such-dir", // 12
        "    watchForChanges: maybe", // 13
        "schema:", // 14
        "  enforcement: strict", // 15
        "auxData:", // 16
        "  jwt:", // 17
        "    acceptableTimeSkew: 5", // 18
        "    keySets:", // 19
        "      - id: a", // 20
        "        local: {file: keys.jwks, data: abc}", // 21
        "      - id: a", // 22
        "        remote: {url: ftp://x, refreshInterval: soon}", // 23
        "      - id: b", // 24
        "      - id: c", // 25
        "        local: {}", // 26
        "        remote: {url: https://x}", // 27
        "audit:", // 28
        "  enabled: true", // 29
        "  backend: file", // 30
        "gatehouse:", // 31
        "  workers: -2", // 32
        "  log: {level: loud}", // 33
        "  principalFromToken:", // 34
        "    preset: keycloack", // 35
        "    explicitPrincipal: ignore", // 36
        "  jwt:", // 37
        "    keySets:", // 38
        "      d: {algorithms: [none]}", // 39
      ].join("\n"),
    );
    let found: string[] = [];
    try {
      loadConfig({ file: f, env: {}, cwd: work });
      assert.fail("should not load");
    } catch (e) {
      assert.ok(e instanceof InvalidConfigError);
      found = e.diagnostics.map(formatDiagnostic);
      // The message lists every problem, so printing it is enough for the CLI.
      for (const line of found) assert.ok(e.message.includes(line));
    }
    const at = found.map((line) => line.slice(0, line.indexOf(" ")));
    assert.deepEqual(at, [
      `${f}:2:19`,
      `${f}:3:19`,
      `${f}:5:28`,
      `${f}:6:29`,
      `${f}:8:5`,
      `${f}:8:11`,
      `${f}:12:16`,
      `${f}:13:22`,
      `${f}:15:16`,
      `${f}:18:25`,
      `${f}:21:40`,
      `${f}:22:13`,
      `${f}:23:23`,
      `${f}:23:49`,
      `${f}:24:9`,
      `${f}:27:17`,
      `${f}:29:3`,
      `${f}:32:12`,
      `${f}:33:16`,
      `${f}:35:13`,
      `${f}:36:24`,
      `${f}:39:7`,
      `${f}:39:23`,
    ]);
    const text = found.join("\n");
    for (const expected of [
      "`nonsense` has no port",
      "IPv6 host without brackets",
      "`server.requestLimits.maxActionsPerResource` must be between 1 and 500, not `-1`",
      "`server.requestLimits.maxResourcesPerRequest` must be a whole number, not `many`",
      "`server.tls` needs both `cert` and `key`; `key` is missing",
      "file `missing-cert.pem` does not exist",
      "directory `no-such-dir` does not exist",
      "`storage.disk.watchForChanges` must be `true` or `false`, not `maybe`",
      "`schema.enforcement` must be one of `none`, `warn`, `reject`, not `strict`",
      "`5` has no unit",
      "has both `file` and `data`",
      "key set id `a` is used twice",
      "`ftp://x` is not an http or https URL",
      "`soon` is not a duration",
      "`auxData.jwt.keySets[2]` needs `local`",
      "has both `local` and `remote`",
      "`audit.file.path` is required",
      "`gatehouse.workers` must be between 0 and 1024, not `-2`",
      "`gatehouse.log.level` must be one of",
      "not `keycloack`; did you mean `keycloak`?",
      "not `ignore`",
      "`d` is not the id of a key set in `auxData.jwt.keySets`",
      "`none` is not a signing algorithm gatehouse accepts",
    ]) {
      assert.ok(text.includes(expected), `missing ${expected} in\n${text}`);
    }
  });

  test("YAML syntax errors and duplicate keys are reported with their place", () => {
    const found = problems("server:\n  httpListenAddr: ':1'\n  httpListenAddr: ':2'\n");
    assert.equal(found.length, 1);
    assert.match(found[0] ?? "", new RegExp(`^config-${counter}\\.yaml:3:3 invalid YAML`));
    assert.match(problems("server: [\n")[0] ?? "", /invalid YAML/);
  });

  test("a config file that does not exist is one clear problem", () => {
    try {
      loadConfig({ file: "nope.yaml", env: {}, cwd: work });
      assert.fail("should not load");
    } catch (e) {
      assert.ok(e instanceof InvalidConfigError);
      assert.equal(e.diagnostics.length, 1);
      assert.equal(e.diagnostics[0]?.file, "nope.yaml");
      assert.equal(e.diagnostics[0]?.error, "cannot read configuration file");
    }
  });

  test("a config file without storage is refused", () => {
    assert.match(problems("server: {}\n")[0] ?? "", /`storage.driver` is required/);
  });

  test("TLS, key sets and Gatehouse checks load when valid", () => {
    const { config, warnings } = load(
      [
        minimal,
        "server:",
        "  tls: {cert: cert.pem, key: key.pem, caCert: ca.pem}",
        "  advanced: {grpc: {maxRecvMsgSizeBytes: 1024}}",
        "auxData:",
        "  jwt:",
        "    acceptableTimeSkew: 1m30s",
        "    cacheSize: -1",
        "    keySets:",
        "      - {id: local, local: {file: keys.jwks}}",
        "      - {id: inline, local: {data: eyJrZXlzIjpbXX0=, pem: false}}",
        "      - {id: idp, remote: {url: 'https://idp.example/jwks', refreshInterval: 500ms}}",
        "audit: {enabled: true, decisionLogsEnabled: true, backend: file, file: {path: audit.log}}",
        "gatehouse:",
        "  principalFromToken:",
        "    enabled: true",
        "    preset: keycloak",
        "    roleClaims: [realm_access.roles]",
        "    attrClaims: {email: email}",
        "    explicitPrincipal: merge",
        "  jwt:",
        "    keySets:",
        "      idp: {issuer: 'https://idp.example', audiences: [api], algorithms: [RS256]}",
      ].join("\n"),
    );
    assert.deepEqual(warnings, []);
    assert.deepEqual(config.server.tls, {
      cert: join(work, "cert.pem"),
      key: join(work, "key.pem"),
      caCert: join(work, "ca.pem"),
    });
    assert.equal(config.server.maxRequestBodyBytes, 1024);
    assert.equal(config.auxData.jwt.acceptableTimeSkewSeconds, 90);
    assert.equal(config.auxData.jwt.cacheSize, 0);
    assert.deepEqual(config.auxData.jwt.keySets, [
      { id: "local", local: { file: join(work, "keys.jwks"), pem: false } },
      { id: "inline", local: { data: "eyJrZXlzIjpbXX0=", pem: false } },
      { id: "idp", remote: { url: "https://idp.example/jwks", refreshIntervalSeconds: 0.5 } },
    ]);
    assert.equal(config.audit.file.path, join(work, "audit.log"));
    assert.equal(config.audit.enabled, true);
    assert.equal(config.gatehouse.principalFromToken.preset, "keycloak");
    assert.deepEqual(config.gatehouse.principalFromToken.attrClaims, { email: "email" });
    assert.deepEqual(config.gatehouse.jwt.keySets, {
      idp: { issuer: "https://idp.example", audiences: ["api"], algorithms: ["RS256"] },
    });
  });

  test("empty TLS paths leave TLS off, as in Cerbos", () => {
    const { config } = load(`${minimal}server:\n  tls:\n    cert: \${TLS_CERT:""}\n    key: ""\n`);
    assert.equal(config.server.tls, undefined);
  });

  test("turning verification off, or building principals with no keys, warns", () => {
    const { warnings } = load(`${minimal}auxData:\n  jwt:\n    disableVerification: true\n`);
    assert.equal(warnings.length, 1);
    assert.match(formatDiagnostic(warnings[0]!), /disableVerification` is on/);
    const second = load(`${minimal}gatehouse:\n  principalFromToken:\n    enabled: true\n`);
    assert.match(formatDiagnostic(second.warnings[0]!), /every token will be refused/);
  });
});

describe("bundled and reference configs", () => {
  test("examples/gatehouse.yaml loads with no warnings and its paths exist", () => {
    const { config, warnings } = loadConfig({
      file: "examples/gatehouse.yaml",
      env: {},
      cwd: repoRoot,
    });
    assert.deepEqual(warnings.map(formatDiagnostic), []);
    assert.ok(statSync(config.storage.directory).isDirectory());
    assert.equal(config.storage.directory, join(repoRoot, "examples/policies"));
    assert.equal(config.storage.watchForChanges, true);
    assert.equal(config.server.httpListenAddr, ":3592");
    assert.equal(config.server.grpcListenAddr, ":3593");
    assert.equal(config.auxData.jwt.disableVerification, false);
    const demo = config.auxData.jwt.keySets.find((k) => k.id === "demo");
    assert.ok(demo !== undefined && "local" in demo && demo.local.file !== undefined);
    assert.ok(existsSync(demo.local.file));
    assert.equal(config.audit.decisionLogsEnabled, false);
  });

  test("a config with every key of Cerbos's reference loads with only the expected warnings", () => {
    const { config, warnings } = loadConfig({
      file: join(here, "testdata/cerbos-full.yaml"),
      env: {
        TLS_DIR: work,
        POLICY_DIR: join(work, "policies"),
        KEYS_FILE: join(work, "keys.jwks"),
      },
      cwd: work,
    });
    // `insecure` is served: PEM key sets cannot verify anything without it.
    assert.deepEqual(config.auxData.jwt.keySets[0]?.insecure, {
      optionalAlg: false,
      optionalKid: false,
    });
    const ignored = warnings.map((w) => /`([^`]+)`/.exec(w.description ?? "")?.[1]);
    assert.deepEqual(ignored.sort(), [
      "audit.decisionLogFilters",
      "audit.file.additionalPaths",
      "audit.file.logRotation",
      "audit.hub",
      "audit.kafka",
      "audit.local",
      "engine.celErrorLogLevel",
      "engine.policyLoaderTimeout",
      "hub",
      "schema.cacheSize",
      "server.adminAPI",
      "server.advanced.grpc.connectionTimeout",
      "server.advanced.grpc.maxConcurrentStreams",
      "server.advanced.grpc.maxConnectionAge",
      "server.advanced.http.idleTimeout",
      "server.advanced.http.readHeaderTimeout",
      "server.advanced.http.readTimeout",
      "server.advanced.http.writeTimeout",
      "server.apiExplorerEnabled",
      "server.logRequestPayloads",
      "server.playgroundEnabled",
      "server.udsFileMode",
      "storage.blob",
      "storage.git",
      "storage.hub",
      "storage.mysql",
      "storage.overlay",
      "storage.postgres",
      "storage.sqlite3",
      "telemetry",
    ]);
    assert.equal(config.schema.enforcement, "reject");
    assert.deepEqual(config.engine.globals, { environment: "staging" });
    assert.equal(config.audit.enabled, true);
    assert.equal(config.audit.file.path, "stdout");
    assert.deepEqual(config.audit.excludeMetadataKeys, ["authorization"]);
    assert.equal(config.auxData.jwt.acceptableTimeSkewSeconds, 2);
    assert.deepEqual(config.server.cors.allowedHeaders, ["content-type"]);
    assert.equal(config.server.cors.maxAge, 10);
  });
});
