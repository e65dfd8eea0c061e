// The HTTP listener: Cerbos's JSON API, AuthZEN and the operational endpoints on node:http
// (or node:https), answered the way Cerbos 0.55 answers them, status codes and error bodies
// included. No framework: one route table keyed by path, one body buffer per request, one
// JSON.parse and one JSON.stringify, Content-Length always set, keep-alive on.

import {
  createServer as createHttp1Server,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { performance } from "node:perf_hooks";
import { newCallId } from "../../kernel/call-id.ts";
import { GatehouseError } from "../../kernel/errors.ts";
import type { Logger } from "../../kernel/logger.ts";
import type { Metrics } from "../../kernel/metrics.ts";
import type { ServerConfig } from "../../main/config/types.ts";
import type { CheckResourcesRequest, PdpService, RequestContext } from "../../pdp/types.ts";
import {
  authzenMetadata,
  decodePlanResourcesRequest,
  toHttpError,
  type DecodeOptions,
} from "../cerbos-api/index.ts";
import {
  defaultApiBindings,
  type ApiBindings,
  type BatchBinding,
  type CheckBinding,
} from "./api-bindings.ts";
import { createCors } from "./cors.ts";
import { parseJsonBody } from "./json-body.ts";
import { formatBoundAddress, parseListenAddress } from "./listen-address.ts";

/** One API call, for the access log: what Cerbos's access log entry needs, plus HTTP details. */
export interface AccessEntry {
  readonly callId: string;
  /** Epoch milliseconds the request arrived. */
  readonly timestamp: number;
  readonly peer: RequestContext["peer"];
  /** Request headers, lower-case names. */
  readonly metadata: RequestContext["metadata"];
  /** The same call id, peer and metadata as the service saw them. */
  readonly context: RequestContext;
  /** The gRPC method name Cerbos records for the call: `/cerbos.svc.v1.CerbosService/CheckResources`. */
  readonly method: string;
  /** The gRPC status code of the answer (0 for OK), as Cerbos records it. */
  readonly statusCode: number;
  readonly httpMethod: string;
  readonly path: string;
  /** The HTTP status of the answer. */
  readonly status: number;
  readonly durationMs: number;
}

export interface HttpServerOptions {
  readonly pdp: PdpService;
  readonly decode: DecodeOptions;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The Prometheus exposition for `/_cerbos/metrics`; without it (`server.metricsEnabled: false`) the path is not served. */
  readonly metricsText?: () => Promise<{ contentType: string; body: string }>;
  /**
   * Called once per API call that reaches a service method (decoded and handed to the PDP,
   * or answered by server info / AuthZEN metadata), as Cerbos's access log records them;
   * requests refused before that (bad JSON, validation, unknown routes) are not API calls.
   */
  readonly onAccess?: (entry: AccessEntry) => void;
  readonly cors: ServerConfig["cors"];
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer; readonly ca?: Buffer };
  /** Largest accepted request body; a larger one is refused before it is buffered. */
  readonly maxBodyBytes: number;
  /** Public base URL for AuthZEN metadata; by default taken from the request's Host. */
  readonly baseUrl?: string;
  /** Request mappings; protocols/cerbos-api's by default. */
  readonly bindings?: ApiBindings;
}

export interface HttpServer {
  /** Binds `host:port`, `:port` or `unix:/path` (port 0 picks one); resolves to the bound address. */
  listen(addr: string): Promise<string>;
  /** Stops accepting, lets in-flight requests finish, closes idle connections; forces after `graceMs`. */
  shutdown(graceMs: number): Promise<void>;
}

/** What a handler answers: a status, a content type and the body text. */
interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  /** The gRPC code Cerbos would log (API calls only). */
  readonly grpcCode?: number;
}

/** Per-request state a handler needs. */
interface Call {
  readonly req: IncomingMessage;
  readonly arrived: number;
  readonly started: number;
  readonly path: string;
  readonly query: string;
}

interface Route {
  /** The path, also the metrics label. */
  readonly path: string;
  /** Accepted method; undefined accepts any (Prometheus's handler does). */
  readonly method?: "GET" | "POST";
  /** Whether the handler takes the parsed body. */
  readonly body: boolean;
  handle(call: Call, json: unknown): Answer | Promise<Answer>;
}

const JSON_TYPE = "application/json";
const TEXT_TYPE = "text/plain; charset=utf-8";

/** Cerbos's JSON error body (`{"code":N,"message":...}`) with the HTTP status grpc-gateway maps N to. */
function errorAnswer(status: number, code: number, message: string): Answer {
  return {
    status,
    contentType: JSON_TYPE,
    body: JSON.stringify({ code, message }),
    grpcCode: code,
  };
}

const notFoundJson = errorAnswer(404, 5, "Not Found");
const methodNotAllowed = errorAnswer(501, 12, "Method Not Allowed");
const adminDisabled = errorAnswer(404, 12, "Admin service is disabled by the configuration");
const notFoundText: Answer = { status: 404, contentType: TEXT_TYPE, body: "404 page not found\n" };
const PLAN_RPC = "/cerbos.svc.v1.CerbosService/PlanResources";

/** Paths Cerbos's gRPC gateway owns: unknown paths there get a JSON 404, elsewhere Go's text 404. */
function unknownPath(path: string): Answer {
  if (path === "/api" || path.startsWith("/api/") || path.startsWith("/access/"))
    return notFoundJson;
  if (path === "/admin" || path.startsWith("/admin/")) return adminDisabled;
  return notFoundText;
}

export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { pdp, decode, logger, metrics, onAccess, maxBodyBytes } = options;
  const bindings = options.bindings ?? defaultApiBindings;
  const cors = createCors(options.cors);
  let closing = false;

  const peerOf = (req: IncomingMessage): RequestContext["peer"] => {
    const socket = req.socket;
    const ip = socket.remoteAddress;
    const userAgent = req.headers["user-agent"];
    const header = req.headers["x-forwarded-for"];
    const xff = Array.isArray(header) ? header.join(", ") : header;
    // grpc-gateway appends the immediate peer to X-Forwarded-For before Cerbos sees it
    const forwardedFor =
      ip === undefined ? xff : xff === undefined || xff === "" ? ip : `${xff}, ${ip}`;
    const address =
      ip === undefined
        ? "unix"
        : ip.includes(":")
          ? `[${ip}]:${socket.remotePort}`
          : `${ip}:${socket.remotePort}`;
    return {
      address,
      ...(userAgent !== undefined ? { userAgent } : {}),
      ...(forwardedFor !== undefined ? { forwardedFor } : {}),
    };
  };

  const contextOf = (req: IncomingMessage, callId: string): RequestContext => ({
    callId,
    protocol: "http",
    peer: peerOf(req),
    // Node's header table has no undefined values despite its type
    metadata: req.headersDistinct as Readonly<Record<string, readonly string[]>>,
  });

  const access = (call: Call, context: RequestContext, rpc: string, answer: Answer): void => {
    if (!onAccess) return;
    try {
      onAccess({
        callId: context.callId,
        timestamp: call.arrived,
        peer: context.peer,
        metadata: context.metadata,
        context,
        method: rpc,
        statusCode: answer.grpcCode ?? 0,
        httpMethod: call.req.method ?? "",
        path: call.path,
        status: answer.status,
        durationMs: performance.now() - call.started,
      });
    } catch (e) {
      logger.error("access log failed", { err: e });
    }
  };

  const failure = (err: unknown): Answer => {
    if (!(err instanceof GatehouseError)) logger.error("request failed", { err });
    const { status, body } = toHttpError(err);
    return { status, contentType: JSON_TYPE, body: JSON.stringify(body), grpcCode: body.code };
  };

  const checkRoute = (path: string, binding: CheckBinding | undefined, rpcName: string): Route => ({
    path,
    method: "POST",
    body: true,
    async handle(call, json) {
      if (!binding) return errorAnswer(501, 12, `${rpcName} is not implemented yet`);
      const request = binding.decode(json, decode);
      const context = contextOf(call.req, newCallId(call.arrived));
      let answer: Answer;
      try {
        const response = await pdp.checkResources(request, context);
        answer = {
          status: 200,
          contentType: JSON_TYPE,
          body: JSON.stringify(binding.encode(request, response)),
        };
      } catch (e) {
        answer = failure(e);
      }
      access(call, context, binding.rpc, answer);
      return answer;
    },
  });

  // one API call, one call id: every CheckResources call of the batch shares the context
  const batchRoute = (
    path: string,
    binding: BatchBinding<{ readonly requests: readonly CheckResourcesRequest[] }> | undefined,
    rpcName: string,
  ): Route => ({
    path,
    method: "POST",
    body: true,
    async handle(call, json) {
      if (!binding) return errorAnswer(501, 12, `${rpcName} is not implemented yet`);
      const batch = binding.decode(json, decode);
      const context = contextOf(call.req, newCallId(call.arrived));
      let answer: Answer;
      try {
        const responses = await Promise.all(
          batch.requests.map((r) => pdp.checkResources(r, context)),
        );
        answer = {
          status: 200,
          contentType: JSON_TYPE,
          body: JSON.stringify(binding.encode(batch, responses)),
        };
      } catch (e) {
        answer = failure(e);
      }
      access(call, context, binding.rpc, answer);
      return answer;
    },
  });

  const jsonAnswer = (value: unknown): Answer => ({
    status: 200,
    contentType: JSON_TYPE,
    body: JSON.stringify(value),
  });

  const routeList: Route[] = [
    checkRoute("/api/check/resources", bindings.checkResources, "CheckResources"),
    checkRoute("/access/v1/evaluation", bindings.accessEvaluation, "AccessEvaluation"),
    batchRoute("/access/v1/evaluations", bindings.accessEvaluationBatch, "AccessEvaluationBatch"),
    checkRoute("/api/check", bindings.checkResourceSet, "CheckResourceSet"),
    checkRoute("/api/check_resource_batch", bindings.checkResourceBatch, "CheckResourceBatch"),
    {
      path: "/api/plan/resources",
      method: "POST",
      body: true,
      async handle(call, json) {
        // a request refused here is not an API call (no call id, no access entry), as for checks
        const request = decodePlanResourcesRequest(json, decode);
        const context = contextOf(call.req, newCallId(call.arrived));
        let answer: Answer;
        try {
          answer = jsonAnswer(await pdp.planResources(request, context));
        } catch (e) {
          answer = failure(e);
        }
        access(call, context, PLAN_RPC, answer);
        return answer;
      },
    },
    {
      path: "/api/server_info",
      method: "GET",
      body: false,
      handle(call) {
        const answer = jsonAnswer(pdp.serverInfo());
        access(
          call,
          contextOf(call.req, newCallId(call.arrived)),
          "/cerbos.svc.v1.CerbosService/ServerInfo",
          answer,
        );
        return answer;
      },
    },
    {
      path: "/.well-known/authzen-configuration",
      method: "GET",
      body: false,
      handle(call) {
        const base =
          options.baseUrl ??
          `${options.tls ? "https" : "http"}://${call.req.headers.host ?? "localhost"}`;
        const answer = jsonAnswer(authzenMetadata(base));
        const context = contextOf(call.req, newCallId(call.arrived));
        access(call, context, "/authzen.authorization.v1.AuthorizationService/Metadata", answer);
        return answer;
      },
    },
    {
      path: "/_cerbos/health",
      method: "GET",
      body: false,
      handle(call) {
        // grpc-gateway's health endpoint: the gRPC health service's answer for `?service=`
        const service =
          call.query === "" ? "" : (new URLSearchParams(call.query).get("service") ?? "");
        if (service !== "" && service !== "cerbos.svc.v1.CerbosService")
          return errorAnswer(404, 5, "unknown service");
        if (closing || !pdp.policyStatus().serving)
          return errorAnswer(503, 14, "status:NOT_SERVING");
        return { status: 200, contentType: JSON_TYPE, body: '{"status":"SERVING"}\n' };
      },
    },
    {
      path: "/_gatehouse/status",
      method: "GET",
      body: false,
      handle: () => jsonAnswer(pdp.policyStatus()),
    },
    {
      path: "/_cerbos/metrics",
      body: false,
      async handle() {
        try {
          const { contentType, body } = await options.metricsText!();
          return { status: 200, contentType, body };
        } catch (e) {
          logger.error("metrics failed", { err: e });
          return { status: 500, contentType: TEXT_TYPE, body: "metrics unavailable\n" };
        }
      },
    },
  ];
  const served = options.metricsText
    ? routeList
    : routeList.filter((r) => r.path !== "/_cerbos/metrics");
  const routes = new Map<string, Route>(served.map((r) => [r.path, r]));

  const send = (
    req: IncomingMessage,
    res: ServerResponse,
    call: Call,
    label: string,
    answer: Answer,
    close = false,
  ): void => {
    const headers: string[] = [
      "Content-Type",
      answer.contentType,
      "Content-Length",
      String(Buffer.byteLength(answer.body)),
    ];
    if (answer.contentType === TEXT_TYPE) headers.push("X-Content-Type-Options", "nosniff");
    if (cors) headers.push(...cors.actual(req.headers.origin, req.method ?? ""));
    if (close || closing) headers.push("Connection", "close");
    res.writeHead(answer.status, headers);
    res.end(req.method === "HEAD" ? undefined : answer.body);
    metrics.observeRequest("http", label, answer.status, (performance.now() - call.started) / 1000);
  };

  const run = (
    req: IncomingMessage,
    res: ServerResponse,
    call: Call,
    route: Route,
    json: unknown,
  ): void => {
    let answer: Answer | Promise<Answer>;
    try {
      answer = route.handle(call, json);
    } catch (e) {
      answer = failure(e);
    }
    if (answer instanceof Promise) {
      answer.then(
        (a) => send(req, res, call, route.path, a),
        (e: unknown) => send(req, res, call, route.path, failure(e)),
      );
    } else send(req, res, call, route.path, answer);
  };

  const tooLarge = (received: string): Answer =>
    errorAnswer(429, 8, `received message larger than max (${received} vs. ${maxBodyBytes})`);

  // An oversized body is read and thrown away before the answer, up to this many bytes, so
  // that clients which write the whole body before reading (fetch, @cerbos/http) see the 429
  // instead of a broken pipe; beyond it the connection is cut.
  const drainLimit = Math.max(16 * maxBodyBytes, 64 * 1024 * 1024);

  const readBody = (req: IncomingMessage, res: ServerResponse, call: Call, route: Route): void => {
    const declared = req.headers["content-length"];
    const refuse = (received: string): void => {
      send(req, res, call, route.path, tooLarge(received), true);
    };
    if (declared !== undefined && Number(declared) > maxBodyBytes) {
      if (Number(declared) > drainLimit) {
        refuse(declared);
        return;
      }
      req.on("data", () => {});
      req.on("end", () => refuse(declared));
      return;
    }
    let first: Buffer | undefined;
    let chunks: Buffer[] | undefined;
    let size = 0;
    let refused = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (refused) {
        if (size > drainLimit) req.destroy();
        return;
      }
      if (size > maxBodyBytes) {
        refused = true;
        first = undefined;
        chunks = undefined;
        return;
      }
      if (first === undefined) first = chunk;
      else (chunks ??= [first]).push(chunk);
    });
    req.on("end", () => {
      if (refused) {
        refuse(`more than ${maxBodyBytes}`);
        return;
      }
      const body = chunks ? Buffer.concat(chunks, size) : (first ?? Buffer.alloc(0));
      let json: unknown;
      try {
        json = parseJsonBody(body);
      } catch (e) {
        send(req, res, call, route.path, failure(e));
        return;
      }
      run(req, res, call, route, json);
    });
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const call: Call = {
      req,
      arrived: Date.now(),
      started: performance.now(),
      path,
      query: q < 0 ? "" : url.slice(q + 1),
    };
    const method = req.method ?? "";
    if (cors && method === "OPTIONS") {
      const requested = req.headers["access-control-request-method"];
      if (requested !== undefined && requested !== "") {
        const headers = cors.preflight(
          req.headers.origin,
          requested,
          req.headers["access-control-request-headers"],
        );
        if (closing) headers.push("Connection", "close");
        res.writeHead(204, headers);
        res.end();
        metrics.observeRequest(
          "http",
          routes.has(path) ? path : "other",
          204,
          (performance.now() - call.started) / 1000,
        );
        return;
      }
    }
    const route = routes.get(path);
    if (route === undefined) {
      send(req, res, call, "other", unknownPath(path));
      return;
    }
    if (route.method !== undefined && route.method !== method) {
      send(req, res, call, route.path, methodNotAllowed);
      return;
    }
    if (route.body) readBody(req, res, call, route);
    else run(req, res, call, route, undefined);
  };

  const tls = options.tls;
  const server = tls
    ? createHttpsServer(
        {
          cert: tls.cert,
          key: tls.key,
          ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: true } : {}),
          keepAliveTimeout: 65_000,
        },
        onRequest,
      )
    : createHttp1Server({ keepAliveTimeout: 65_000 }, onRequest);

  return {
    listen(addr) {
      return new Promise((resolve, reject) => {
        const target = parseListenAddress(addr);
        const onError = (e: Error): void => reject(e);
        server.once("error", onError);
        const done = (): void => {
          server.off("error", onError);
          server.on("error", (e) => logger.error("http server error", { err: e }));
          resolve(formatBoundAddress(server.address(), target));
        };
        if (target.kind === "unix") server.listen(target.path, done);
        else if (target.host === undefined) server.listen(target.port, done);
        else server.listen(target.port, target.host, done);
      });
    },
    shutdown(graceMs) {
      closing = true;
      return new Promise((resolve) => {
        if (!server.listening) {
          resolve();
          return;
        }
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        // in-flight requests finish and their connections close (responses say Connection: close)
        server.closeIdleConnections();
      });
    },
  };
}
