// The server configuration: Cerbos's config format plus Gatehouse's `gatehouse:` extensions.

export { loadConfig, type LoadConfigOptions, type LoadedConfig } from "./load-config.ts";
export type * from "./types.ts";
