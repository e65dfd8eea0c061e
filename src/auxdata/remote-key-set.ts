// A JWKS fetched from a URL and kept fresh: fetched once at startup (a failure is logged, not
// fatal), refreshed in the background at the configured interval or as the response's
// Cache-Control/Expires says, and on demand when a token names a `kid` the set lacks, at most
// once per cool-down. Requests read the cached set and never wait for a scheduled refresh; a
// failed refresh keeps the last good set.

import type { Logger } from "../kernel/logger.ts";
import { KeySetError, parseKeySet, type InsecureOptions, type KeySet } from "./key-set.ts";

export interface RemoteKeySetOptions {
  readonly id: string;
  readonly url: string;
  /** Seconds; when absent the response's cache headers decide. */
  readonly refreshIntervalSeconds?: number;
  readonly insecure: InsecureOptions;
  readonly logger: Logger;
  readonly fetch: typeof fetch;
  readonly now: () => number;
}

/** Cache headers never make us refresh more often than this, nor less often than the maximum. */
const MIN_REFRESH_SECONDS = 60;
const MAX_REFRESH_SECONDS = 24 * 3600;
/** Without cache headers or a configured interval (the JWKS cache Cerbos uses waits as long). */
const DEFAULT_REFRESH_SECONDS = 15 * 60;
/** While no set has been fetched, or after a failure, try again this soon. */
const RETRY_SECONDS = 30;
/** Before the first success, requests trigger a fetch at most this often (the IdP may be down). */
const NO_SET_RETRY_SECONDS = 5;
/** Unknown `kid`s trigger at most one refresh per this many seconds. */
const UNKNOWN_KID_COOLDOWN_SECONDS = 30;
const FETCH_TIMEOUT_MS = 10_000;

export class RemoteKeySet {
  private readonly opts: RemoteKeySetOptions;
  private current: KeySet | undefined;
  private inFlight: Promise<KeySet | undefined> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastOnDemandMs = Number.NEGATIVE_INFINITY;
  private lastAttemptMs = Number.NEGATIVE_INFINITY;
  private closed = false;
  private readonly abort = new AbortController();

  constructor(opts: RemoteKeySetOptions) {
    this.opts = opts;
  }

  /** The first fetch; resolves whether or not it worked. */
  async start(): Promise<void> {
    await this.refresh();
  }

  /** The cached set, without waiting. */
  cached(): KeySet | undefined {
    return this.current;
  }

  /**
   * The cached set or, when there is none yet, the result of a fetch (shared with any fetch
   * already running, and at most one every few seconds so a down IdP is not hammered): only
   * requests that arrive before the first successful fetch wait.
   */
  async get(): Promise<KeySet | undefined> {
    if (this.current) return this.current;
    if (this.inFlight) return this.inFlight;
    if (this.opts.now() - this.lastAttemptMs < NO_SET_RETRY_SECONDS * 1000) return undefined;
    return this.refresh();
  }

  /**
   * A token named a `kid` the cached set lacks: keys may have rotated. Refreshes once per
   * cool-down and resolves to the new set, or to undefined when a refresh is not allowed yet.
   */
  async refreshForUnknownKid(): Promise<KeySet | undefined> {
    const now = this.opts.now();
    if (this.inFlight) return this.inFlight;
    if (now - this.lastOnDemandMs < UNKNOWN_KID_COOLDOWN_SECONDS * 1000) return undefined;
    this.lastOnDemandMs = now;
    return this.refresh();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
  }

  private refresh(): Promise<KeySet | undefined> {
    if (this.closed) return Promise.resolve(this.current);
    if (!this.inFlight) this.lastAttemptMs = this.opts.now();
    this.inFlight ??= this.fetchOnce().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async fetchOnce(): Promise<KeySet | undefined> {
    const { id, url, logger } = this.opts;
    let nextSeconds: number;
    try {
      const res = await this.opts.fetch(url, {
        headers: { accept: "application/jwk-set+json, application/json" },
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(FETCH_TIMEOUT_MS)]),
      });
      if (!res.ok) throw new KeySetError(`failed to look up remote keyset: HTTP ${res.status}`);
      const body = new Uint8Array(await res.arrayBuffer());
      let set: KeySet;
      try {
        set = parseKeySet(body, false, this.opts.insecure);
      } catch (e) {
        throw new KeySetError(`failed to look up remote keyset: ${(e as Error).message}`, e);
      }
      this.current = set;
      nextSeconds = this.opts.refreshIntervalSeconds ?? refreshFromHeaders(res.headers);
      logger.debug("fetched remote key set", { keySetId: id, keys: set.keys.length, nextSeconds });
    } catch (e) {
      nextSeconds = RETRY_SECONDS;
      if (!this.closed)
        logger.warn(
          this.current
            ? "refreshing remote key set failed, keeping the last good set"
            : "fetching remote key set failed",
          { keySetId: id, url, error: e },
        );
    }
    this.schedule(nextSeconds);
    return this.current;
  }

  private schedule(seconds: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), seconds * 1000);
    // a pending refresh must not keep the process alive
    this.timer.unref();
  }
}

/** Seconds until the response goes stale: Cache-Control max-age, else Expires, within bounds. */
export function refreshFromHeaders(headers: Headers): number {
  const cc = headers.get("cache-control") ?? "";
  const maxAge = /(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*"?(\d+)"?/i.exec(cc);
  let seconds: number | undefined;
  if (maxAge?.[1] !== undefined) seconds = Number(maxAge[1]);
  else if (/(?:^|,)\s*no-(?:cache|store)\b/i.test(cc)) seconds = MIN_REFRESH_SECONDS;
  else {
    const expires = headers.get("expires");
    const at = expires ? Date.parse(expires) : NaN;
    if (!Number.isNaN(at)) {
      const date = Date.parse(headers.get("date") ?? "");
      seconds = (at - (Number.isNaN(date) ? Date.now() : date)) / 1000;
    }
  }
  if (seconds === undefined) return DEFAULT_REFRESH_SECONDS;
  return Math.min(MAX_REFRESH_SECONDS, Math.max(MIN_REFRESH_SECONDS, seconds));
}
