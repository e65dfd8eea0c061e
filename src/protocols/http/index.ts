// Cerbos's HTTP API (CheckResources, server info, health, metrics) and AuthZEN over node:http,
// answered as Cerbos 0.55 answers them.

export { createHttpServer } from "./http-server.ts";
export type { AccessEntry, HttpServer, HttpServerOptions } from "./http-server.ts";
export type { ApiBindings, CheckBinding } from "./api-bindings.ts";
export { maxJsonDepth } from "./json-body.ts";
