// Turns a checked configuration tree into a GatehouseConfig: types, ranges and cross-field rules
// of every served key, Cerbos's defaults for what is left out, and paths resolved. Every problem
// is collected with its place; nothing stops at the first one.
//
// Relative paths (policy directory, TLS files, key set files, audit file) resolve against the
// working directory, not the config file's folder, because that is what Cerbos does: a Cerbos
// config file must mean the same files under Gatehouse.

import { statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { JsonValue } from "../../authz/policy/model.ts";
import type { Diagnostic } from "../../kernel/diagnostic.ts";
import {
  diagnosticAt,
  plainValue,
  type ConfigNode,
  type MapNode,
  type Place,
} from "./config-tree.ts";
import { parseDuration } from "./duration.ts";
import { parseListenAddress, type ListenAddress } from "../../kernel/listen-address.ts";
import { didYouMean } from "./suggest-key.ts";
import type {
  AuditConfig,
  ClaimPreset,
  GatehouseConfig,
  GatehouseExtensions,
  JwtConfig,
  KeySetChecks,
  KeySetConfig,
  ServerConfig,
} from "./types.ts";
import { signatureAlgorithms } from "../../auxdata/index.ts";

export interface BuildContext {
  readonly cwd: string;
  /** Whether a config file was given; without one, Cerbos's built-in default config applies. */
  readonly fromFile: boolean;
  /** Where to point problems about keys that are missing altogether. */
  readonly rootPlace: Place;
  readonly errors: Diagnostic[];
  readonly warnings: Diagnostic[];
}

const otherDrivers = [
  "blob",
  "bundle",
  "git",
  "hub",
  "mysql",
  "overlay",
  "postgres",
  "sqlite3",
  "sqlserver",
];
const otherAuditBackends = ["local", "kafka", "hub"];
const presets: readonly ClaimPreset[] = [
  "generic",
  "keycloak",
  "auth0",
  "okta",
  "jumpcloud",
  "gatehouse",
];
const algorithms = signatureAlgorithms;

/** A map section of the tree, read key by key with type checks. */
class Section {
  readonly node: MapNode | undefined;
  readonly path: string;
  readonly ctx: BuildContext;

  constructor(node: MapNode | undefined, path: string, ctx: BuildContext) {
    this.node = node;
    this.path = path;
    this.ctx = ctx;
  }

  keyPath(key: string): string {
    return this.path === "" ? key : `${this.path}.${key}`;
  }

  /** The value under `key`; an explicit `null` counts as absent, as in Cerbos. */
  get(key: string): ConfigNode | undefined {
    const value = this.node?.entries.get(key)?.value;
    return value?.kind === "scalar" && value.value === null ? undefined : value;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  placeOf(key: string): Place {
    return (
      this.get(key)?.place ??
      this.node?.entries.get(key)?.keyPlace ??
      this.node?.place ??
      this.ctx.rootPlace
    );
  }

  problem(key: string, description: string, place: Place = this.placeOf(key)): void {
    this.ctx.errors.push(
      diagnosticAt(place, "invalid configuration value", description, `$.${this.keyPath(key)}`),
    );
  }

  warn(key: string, description: string): void {
    this.ctx.warnings.push(
      diagnosticAt(
        this.placeOf(key),
        "configuration warning",
        description,
        `$.${this.keyPath(key)}`,
      ),
    );
  }

  private wrong(key: string, node: ConfigNode, expected: string): void {
    const shown = node.kind === "scalar" ? `\`${String(node.value)}\`` : `a ${node.kind}`;
    this.problem(key, `\`${this.keyPath(key)}\` must be ${expected}, not ${shown}`);
  }

  section(key: string): Section {
    const node = this.get(key);
    if (node === undefined) return new Section(undefined, this.keyPath(key), this.ctx);
    if (node.kind !== "map") {
      this.wrong(key, node, "a map of settings");
      return new Section(undefined, this.keyPath(key), this.ctx);
    }
    return new Section(node, this.keyPath(key), this.ctx);
  }

  string(key: string, fallback: string): string {
    return this.optString(key) ?? fallback;
  }

  optString(key: string): string | undefined {
    const node = this.get(key);
    if (node === undefined) return undefined;
    // Go's YAML decoder turns a number or boolean into a string field's text; so does Gatehouse.
    if (node.kind === "scalar" && node.value !== null) return String(node.value);
    this.wrong(key, node, "a string");
    return undefined;
  }

  bool(key: string, fallback: boolean): boolean {
    const node = this.get(key);
    if (node === undefined) return fallback;
    if (node.kind === "scalar" && typeof node.value === "boolean") return node.value;
    this.wrong(key, node, "`true` or `false`");
    return fallback;
  }

  int(key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const node = this.get(key);
    if (node === undefined) return fallback;
    if (node.kind !== "scalar" || typeof node.value !== "number" || !Number.isInteger(node.value)) {
      this.wrong(key, node, "a whole number");
      return fallback;
    }
    if (node.value < min || node.value > max) {
      const range =
        max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`;
      this.problem(key, `\`${this.keyPath(key)}\` must be ${range}, not \`${node.value}\``);
      return fallback;
    }
    return node.value;
  }

  /** Seconds. */
  duration(key: string, fallback: number | undefined, min = 0): number | undefined {
    const node = this.get(key);
    if (node === undefined) return fallback;
    if (
      node.kind !== "scalar" ||
      (typeof node.value !== "string" && typeof node.value !== "number")
    ) {
      this.wrong(key, node, "a duration such as `30s`");
      return fallback;
    }
    const seconds = parseDuration(node.value);
    if (typeof seconds === "string") {
      this.problem(key, `\`${this.keyPath(key)}\`: ${seconds}`);
      return fallback;
    }
    if (seconds < min) {
      this.problem(
        key,
        `\`${this.keyPath(key)}\` must not be negative, not \`${String(node.value)}\``,
      );
      return fallback;
    }
    return seconds;
  }

  strings(key: string, fallback: readonly string[]): readonly string[] {
    const node = this.get(key);
    if (node === undefined) return fallback;
    if (node.kind !== "list") {
      this.wrong(key, node, "a list of strings");
      return fallback;
    }
    const out: string[] = [];
    for (const item of node.items) {
      // A missing item (from `--set list[1]=x`) is an empty string, as Go decodes it.
      if (item.kind === "scalar") out.push(item.value === null ? "" : String(item.value));
      else this.problem(key, `every item of \`${this.keyPath(key)}\` must be a string`, item.place);
    }
    return out;
  }

  oneOf<T extends string>(key: string, values: readonly T[], fallback: T): T {
    const value = this.optString(key);
    if (value === undefined) return fallback;
    if ((values as readonly string[]).includes(value)) return value as T;
    this.problem(
      key,
      `\`${this.keyPath(key)}\` must be one of ${values.map((v) => `\`${v}\``).join(", ")}, not \`${value}\`${didYouMean(value, values)}`,
    );
    return fallback;
  }

  /** A path resolved against the working directory, optionally required to exist. */
  filePath(key: string, want: "file" | "directory" | "any"): string | undefined {
    const value = this.optString(key);
    if (value === undefined) return undefined;
    if (value === "") {
      this.problem(key, `\`${this.keyPath(key)}\` must not be empty`);
      return undefined;
    }
    const full = isAbsolute(value) ? value : resolve(this.ctx.cwd, value);
    if (want === "any") return full;
    let stat;
    try {
      stat = statSync(full);
    } catch {
      this.problem(
        key,
        `${want} \`${value}\` does not exist (resolved to \`${full}\`; relative paths start at the working directory, as in Cerbos)`,
      );
      return full;
    }
    if (want === "directory" ? !stat.isDirectory() : !stat.isFile()) {
      this.problem(key, `\`${value}\` is not a ${want}`);
    }
    return full;
  }
}

export function buildConfig(
  root: ConfigNode | undefined,
  ctx: BuildContext,
  source?: string,
): GatehouseConfig {
  let top: Section;
  if (root === undefined || root.kind === "map") top = new Section(root, "", ctx);
  else {
    ctx.errors.push(
      diagnosticAt(
        root.place,
        "invalid configuration",
        "the configuration must be a map of sections such as `server:` and `storage:`",
      ),
    );
    top = new Section(undefined, "", ctx);
  }
  const auxData = buildJwt(top.section("auxData").section("jwt"), ctx);
  const config: GatehouseConfig = {
    server: buildServer(top.section("server")),
    storage: buildStorage(top, ctx),
    engine: buildEngine(top.section("engine")),
    schema: {
      enforcement: top.section("schema").oneOf("enforcement", ["none", "warn", "reject"], "none"),
    },
    auxData: { jwt: auxData },
    audit: buildAudit(top.section("audit")),
    gatehouse: buildExtensions(top.section("gatehouse"), auxData),
    ...(source === undefined ? {} : { source }),
  };
  return config;
}

function buildServer(s: Section): ServerConfig {
  const listen = (key: string, fallback: string): { text: string; parsed?: ListenAddress } => {
    const text = s.string(key, fallback);
    const parsed = parseListenAddress(text);
    if (typeof parsed === "string") {
      s.problem(key, `\`${s.keyPath(key)}\`: ${parsed}`);
      return { text };
    }
    return { text, parsed };
  };
  const http = listen("httpListenAddr", ":3592");
  const grpc = listen("grpcListenAddr", ":3593");
  if (
    http.parsed !== undefined &&
    grpc.parsed !== undefined &&
    JSON.stringify(http.parsed) === JSON.stringify(grpc.parsed) &&
    !(http.parsed.kind === "tcp" && http.parsed.port === 0)
  ) {
    s.problem(
      "grpcListenAddr",
      `\`server.grpcListenAddr\` and \`server.httpListenAddr\` are both \`${grpc.text}\`; the two listeners need different addresses`,
    );
  }

  const tlsSection = s.section("tls");
  // An empty path means "no TLS", as in Cerbos, so `cert: ${TLS_CERT:""}` makes TLS optional.
  const tlsFile = (key: string): string | undefined =>
    tlsSection.optString(key) === "" ? undefined : tlsSection.filePath(key, "file");
  const cert = tlsFile("cert");
  const key = tlsFile("key");
  const caCert = tlsFile("caCert");
  let tls: ServerConfig["tls"];
  if (cert !== undefined && key !== undefined)
    tls = { cert, key, ...(caCert === undefined ? {} : { caCert }) };
  else if (cert !== undefined || key !== undefined || caCert !== undefined) {
    const missing = cert === undefined ? "cert" : "key";
    tlsSection.problem(
      missing,
      `\`server.tls\` needs both \`cert\` and \`key\`; \`${missing}\` is missing`,
      tlsSection.node?.place,
    );
  }

  const limits = s.section("requestLimits");
  const cors = s.section("cors");
  const grpcAdvanced = s.section("advanced").section("grpc");
  return {
    httpListenAddr: http.text,
    grpcListenAddr: grpc.text,
    ...(tls === undefined ? {} : { tls }),
    requestLimits: {
      // Cerbos refuses limits outside 1..500.
      maxActionsPerResource: limits.int("maxActionsPerResource", 50, 1, 500),
      maxResourcesPerRequest: limits.int("maxResourcesPerRequest", 50, 1, 500),
    },
    maxRequestBodyBytes: grpcAdvanced.int("maxRecvMsgSizeBytes", 4 * 1024 * 1024, 1),
    cors: {
      disabled: cors.bool("disabled", false),
      allowedOrigins: cors.strings("allowedOrigins", ["*"]),
      // What Cerbos 0.55 answers preflights with when nothing is configured (checked against it).
      allowedHeaders: cors.strings("allowedHeaders", [
        "accept",
        "content-type",
        "user-agent",
        "x-requested-with",
      ]),
      maxAge: cors.duration("maxAge", 0) ?? 0,
    },
    metricsEnabled: s.bool("metricsEnabled", true),
  };
}

function buildStorage(top: Section, ctx: BuildContext): GatehouseConfig["storage"] {
  const s = top.section("storage");
  const defaultDirectory = resolve(ctx.cwd, "policies");
  if (!ctx.fromFile && !s.has("driver")) {
    // Cerbos's built-in config: the disk driver on ./policies, watched.
    const disk = s.section("disk");
    const directory = disk.filePath("directory", "directory") ?? defaultDirectory;
    if (!disk.has("directory")) checkDirectory(disk, defaultDirectory);
    return { driver: "disk", directory, watchForChanges: disk.bool("watchForChanges", true) };
  }
  const driver = s.optString("driver");
  if (driver === undefined) {
    s.problem(
      "driver",
      "`storage.driver` is required; gatehouse serves the `disk` driver (`storage: {driver: disk, disk: {directory: ./policies}}`)",
    );
  } else if (driver !== "disk") {
    const hint = otherDrivers.includes(driver) ? "" : didYouMean(driver, ["disk", ...otherDrivers]);
    s.problem(
      "driver",
      `storage driver \`${driver}\` is not served; gatehouse serves only \`disk\`${hint}`,
    );
  }
  const disk = s.section("disk");
  if (driver === "disk" && !disk.has("directory")) {
    disk.problem(
      "directory",
      "`storage.disk.directory` is required with the `disk` driver",
      s.placeOf("disk"),
    );
  }
  return {
    driver: "disk",
    directory: disk.filePath("directory", "directory") ?? defaultDirectory,
    watchForChanges: disk.bool("watchForChanges", false),
  };
}

function checkDirectory(s: Section, directory: string): void {
  try {
    if (statSync(directory).isDirectory()) return;
  } catch {
    // reported below
  }
  s.ctx.errors.push(
    diagnosticAt(
      s.ctx.rootPlace,
      "invalid configuration value",
      `the default policy directory \`${directory}\` does not exist (create it, or name one with \`--config\` or \`--set storage.disk.directory=...\`)`,
    ),
  );
}

function buildEngine(s: Section): GatehouseConfig["engine"] {
  const defaultPolicyVersion = s.string("defaultPolicyVersion", "default");
  if (defaultPolicyVersion === "")
    s.problem("defaultPolicyVersion", "`engine.defaultPolicyVersion` must not be empty");
  let globals: Record<string, JsonValue> = {};
  const node = s.get("globals");
  if (node !== undefined) {
    if (node.kind === "map") globals = plainValue(node) as Record<string, JsonValue>;
    else s.problem("globals", "`engine.globals` must be a map of names to values");
  }
  return {
    defaultPolicyVersion: defaultPolicyVersion === "" ? "default" : defaultPolicyVersion,
    defaultScope: s.string("defaultScope", ""),
    lenientScopeSearch: s.bool("lenientScopeSearch", false),
    globals,
    strictEvaluation: s.bool("strictEvaluation", false),
  };
}

function buildJwt(s: Section, ctx: BuildContext): JwtConfig {
  // Safer than Cerbos: Cerbos's built-in config (no --config) sets `disableVerification: true`;
  // Gatehouse verifies tokens unless told otherwise, and with no key sets refuses every token
  // (which is also what Cerbos does when a config file leaves `auxData` out).
  const disableVerification = s.bool("disableVerification", false);
  if (disableVerification) {
    s.warn(
      "disableVerification",
      "`auxData.jwt.disableVerification` is on: token signatures, expiry and issuers are not checked; use it only in tests",
    );
  }
  const cacheSize = s.int("cacheSize", 256, Number.MIN_SAFE_INTEGER);
  const keySets: KeySetConfig[] = [];
  const node = s.get("keySets");
  if (node !== undefined && node.kind !== "list")
    s.problem("keySets", "`auxData.jwt.keySets` must be a list of key sets");
  const seen = new Map<string, Place>();
  if (node?.kind === "list") {
    node.items.forEach((item, i) => {
      const path = `auxData.jwt.keySets[${i}]`;
      if (item.kind !== "map") {
        ctx.errors.push(
          diagnosticAt(
            item.place,
            "invalid configuration value",
            `\`${path}\` must be a map with \`id\` and \`local\` or \`remote\``,
          ),
        );
        return;
      }
      const ks = new Section(item, path, ctx);
      const id = ks.optString("id");
      if (id === undefined || id === "") ks.problem("id", `\`${path}.id\` is required`, item.place);
      else if (seen.has(id))
        ks.problem("id", `key set id \`${id}\` is used twice; ids must be unique`);
      else seen.set(id, ks.placeOf("id"));
      const hasLocal = ks.has("local");
      const hasRemote = ks.has("remote");
      // Cerbos's escape hatch for keys without `alg` or `kid` (PEM keys have neither).
      const insecureSection = ks.has("insecure") ? ks.section("insecure") : undefined;
      const insecure = insecureSection
        ? {
            insecure: {
              optionalAlg: insecureSection.bool("optionalAlg", false),
              optionalKid: insecureSection.bool("optionalKid", false),
            },
          }
        : {};
      if (hasLocal && hasRemote)
        ks.problem("remote", `\`${path}\` has both \`local\` and \`remote\`; use one`);
      if (!hasLocal && !hasRemote)
        ks.problem(
          "id",
          `\`${path}\` needs \`local\` (a file or inline keys) or \`remote\` (a JWKS URL)`,
          item.place,
        );
      if (hasRemote) {
        const remote = ks.section("remote");
        const url = remote.optString("url");
        if (url === undefined)
          remote.problem("url", `\`${path}.remote.url\` is required`, ks.placeOf("remote"));
        else if (!/^https?:\/\/[^/]/.test(url))
          remote.problem("url", `\`${url}\` is not an http or https URL`);
        const refresh = remote.duration("refreshInterval", undefined);
        if (refresh !== undefined && refresh <= 0)
          remote.problem("refreshInterval", "`refreshInterval` must be positive");
        if (id !== undefined && url !== undefined && !hasLocal) {
          keySets.push({
            id,
            ...insecure,
            remote: {
              url,
              ...(refresh === undefined || refresh <= 0 ? {} : { refreshIntervalSeconds: refresh }),
            },
          });
        }
      } else if (hasLocal) {
        const local = ks.section("local");
        const file = local.filePath("file", "file");
        const data = local.optString("data");
        if (file !== undefined && data !== undefined)
          local.problem("data", `\`${path}.local\` has both \`file\` and \`data\`; use one`);
        if (file === undefined && data === undefined)
          local.problem(
            "file",
            `\`${path}.local\` needs \`file\` or \`data\``,
            ks.placeOf("local"),
          );
        if (data !== undefined && !/^[A-Za-z0-9+/=_\s-]+$/.test(data))
          local.problem("data", `\`${path}.local.data\` must be base64-encoded`);
        const pem = local.bool("pem", false);
        if (id !== undefined) {
          keySets.push({
            id,
            ...insecure,
            local: {
              ...(file === undefined ? {} : { file }),
              ...(data === undefined ? {} : { data }),
              pem,
            },
          });
        }
      }
    });
  }
  return {
    keySets,
    disableVerification,
    acceptableTimeSkewSeconds: s.duration("acceptableTimeSkew", 0) ?? 0,
    // Cerbos: a negative size turns the cache off.
    cacheSize: Math.max(0, cacheSize),
  };
}

function buildAudit(s: Section): AuditConfig {
  let enabled = s.bool("enabled", false);
  const accessLogsEnabled = s.bool("accessLogsEnabled", false);
  const decisionLogsEnabled = s.bool("decisionLogsEnabled", false);
  const backend = s.optString("backend");
  if (backend !== undefined && backend !== "file" && !otherAuditBackends.includes(backend)) {
    s.problem(
      "backend",
      `audit backend \`${backend}\` does not exist${didYouMean(backend, ["file", ...otherAuditBackends])}`,
    );
  } else if (enabled && backend !== "file") {
    s.warn(
      "backend",
      backend === undefined
        ? "`audit.backend` is not set, so Cerbos would use `local`, which gatehouse does not serve: audit logging is off (set `backend: file`)"
        : `audit backend \`${backend}\` is not served, so audit logging is off; gatehouse writes audit logs with the \`file\` backend`,
    );
    enabled = false;
  }
  const file = s.section("file");
  let path = file.optString("path");
  if (enabled && path === undefined) {
    file.problem(
      "path",
      "`audit.file.path` is required with the `file` backend (a path, `stdout` or `stderr`)",
      s.placeOf("file"),
    );
  }
  if (path !== undefined && path !== "stdout" && path !== "stderr")
    path = file.filePath("path", "any");
  return {
    enabled,
    accessLogsEnabled,
    decisionLogsEnabled,
    backend: "file",
    file: { path: path ?? "stdout" },
    includeMetadataKeys: s.strings("includeMetadataKeys", []),
    excludeMetadataKeys: s.strings("excludeMetadataKeys", []),
  };
}

function buildExtensions(s: Section, jwt: JwtConfig): GatehouseExtensions {
  const p = s.section("principalFromToken");
  const attrClaims: Record<string, string> = {};
  const attrNode = p.get("attrClaims");
  if (attrNode !== undefined) {
    if (attrNode.kind !== "map")
      p.problem(
        "attrClaims",
        "`gatehouse.principalFromToken.attrClaims` must map attribute names to claim paths",
      );
    else {
      for (const [name, entry] of attrNode.entries) {
        const v = entry.value;
        if (v.kind === "scalar" && typeof v.value === "string" && v.value !== "")
          attrClaims[name] = v.value;
        else
          p.problem(
            "attrClaims",
            `\`gatehouse.principalFromToken.attrClaims.${name}\` must be a claim path`,
            v.place,
          );
      }
    }
  }
  const enabled = p.bool("enabled", false);
  const token = p.string("token", "jwt");
  if (token === "") p.problem("token", "`gatehouse.principalFromToken.token` must not be empty");
  const idClaim = p.string("idClaim", "sub");
  if (idClaim === "")
    p.problem("idClaim", "`gatehouse.principalFromToken.idClaim` must not be empty");
  if (enabled && jwt.keySets.length === 0 && !jwt.disableVerification) {
    p.warn(
      "enabled",
      "principals come from tokens, but `auxData.jwt.keySets` is empty, so every token will be refused",
    );
  }

  const checks: Record<string, KeySetChecks> = {};
  const keySetsNode = s.section("jwt").get("keySets");
  if (keySetsNode !== undefined && keySetsNode.kind !== "map") {
    s.section("jwt").problem("keySets", "`gatehouse.jwt.keySets` must map key set ids to checks");
  }
  if (keySetsNode?.kind === "map") {
    const known = jwt.keySets.map((k) => k.id);
    for (const [id, entry] of keySetsNode.entries) {
      const path = `gatehouse.jwt.keySets.${id}`;
      if (!known.includes(id)) {
        s.ctx.errors.push(
          diagnosticAt(
            entry.keyPlace,
            "invalid configuration value",
            `\`${path}\`: \`${id}\` is not the id of a key set in \`auxData.jwt.keySets\`${didYouMean(id, known)}`,
            `$.${path}`,
          ),
        );
      }
      if (entry.value.kind !== "map") {
        s.ctx.errors.push(
          diagnosticAt(
            entry.value.place,
            "invalid configuration value",
            `\`${path}\` must be a map with \`issuer\`, \`audiences\` or \`algorithms\``,
          ),
        );
        continue;
      }
      const c = new Section(entry.value, path, s.ctx);
      const issuer = c.optString("issuer");
      const audiences = c.has("audiences") ? c.strings("audiences", []) : undefined;
      const algs = c.has("algorithms") ? c.strings("algorithms", []) : undefined;
      for (const alg of algs ?? []) {
        if (!algorithms.includes(alg)) {
          c.problem(
            "algorithms",
            `\`${alg}\` is not a signing algorithm gatehouse accepts${didYouMean(alg, algorithms)}`,
          );
        }
      }
      if (algs !== undefined && algs.length === 0)
        c.problem("algorithms", `\`${path}.algorithms\` must not be empty`);
      checks[id] = {
        ...(issuer === undefined ? {} : { issuer }),
        ...(audiences === undefined ? {} : { audiences }),
        ...(algs === undefined ? {} : { algorithms: algs }),
      };
    }
  }

  return {
    workers: s.int("workers", 0, 0, 1024),
    principalFromToken: {
      enabled,
      token: token === "" ? "jwt" : token,
      preset: p.oneOf("preset", presets, "generic"),
      idClaim: idClaim === "" ? "sub" : idClaim,
      roleClaims: p.strings("roleClaims", []),
      defaultRoles: p.strings("defaultRoles", []),
      attrClaims,
      explicitPrincipal: p.oneOf("explicitPrincipal", ["reject", "merge"], "reject"),
    },
    jwt: { keySets: checks },
    log: { level: s.section("log").oneOf("level", ["debug", "info", "warn", "error"], "info") },
  };
}
