// Tokens already verified, so a client that sends the same token with every request pays for
// the signature check once. Least recently used entries go first; an entry never outlives the
// token's `exp` (nor ten minutes, so a key removed from a key set stops working soon).

import type { ParsedClaims } from "./registered-claims.ts";

const MAX_ENTRY_MS = 10 * 60 * 1000;

interface Entry {
  readonly parsed: ParsedClaims;
  readonly until: number;
}

export class TokenCache {
  private readonly size: number;
  private readonly entries = new Map<string, Entry>();

  constructor(size: number) {
    this.size = Math.max(0, Math.floor(size));
  }

  get(key: string, nowMs: number): ParsedClaims | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    if (nowMs >= e.until) return undefined;
    this.entries.set(key, e);
    return e.parsed;
  }

  set(key: string, parsed: ParsedClaims, nowMs: number): void {
    if (this.size === 0) return;
    const exp = parsed.exp !== undefined ? Number(parsed.exp) * 1000 : Number.POSITIVE_INFINITY;
    const until = Math.min(exp, nowMs + MAX_ENTRY_MS);
    if (until <= nowMs) return;
    this.entries.delete(key);
    this.entries.set(key, { parsed, until });
    while (this.entries.size > this.size) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  get length(): number {
    return this.entries.size;
  }
}
