// Call ids are ULIDs, as Cerbos's `cerbosCallId`: 48 bits of milliseconds and 80 random bits
// in Crockford base32, so they sort by time and are unique across processes.

const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// One call to the system's random source per 256 ids: drawing 16 bytes per request costs more
// than building the id.
const poolIds = 256;
const pool = new Uint8Array(16 * poolIds);
let used = poolIds;

export function newCallId(now: number = Date.now()): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = alphabet[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  if (used === poolIds) {
    crypto.getRandomValues(pool);
    used = 0;
  }
  const offset = 16 * used++;
  let rand = "";
  for (let i = 0; i < 16; i++) rand += alphabet[pool[offset + i]! & 31]!;
  return time + rand;
}
