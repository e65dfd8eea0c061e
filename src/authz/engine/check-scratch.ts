// Per-check memory that is not allocated per check. Conditions, variables and derived roles
// are remembered within one check by small dense integer keys (evaluation keys, params ids);
// rather than a fresh Map per check, an engine keeps arrays indexed by key and stamps each
// entry with the number of the check that wrote it, so starting a check forgets everything
// by incrementing one counter. Checks run synchronously, one at a time per engine.

/** Values by dense non-negative key, valid only for the check that wrote them. */
export class StampedSlots<T> {
  #stamps = new Int32Array(64);
  #values: (T | undefined)[] = new Array<T | undefined>(64).fill(undefined);
  readonly #clock: CheckClock;

  constructor(clock: CheckClock) {
    this.#clock = clock;
  }

  get(key: number): T | undefined {
    return key < this.#stamps.length && this.#stamps[key] === this.#clock.current
      ? this.#values[key]
      : undefined;
  }

  set(key: number, value: T): void {
    if (key >= this.#stamps.length) this.#grow(key);
    this.#stamps[key] = this.#clock.current;
    this.#values[key] = value;
  }

  /** Forgets every entry (the clock wrapped around). */
  clear(): void {
    this.#stamps.fill(0);
    this.#values.fill(undefined);
  }

  #grow(key: number): void {
    let size = this.#stamps.length * 2;
    while (size <= key) size *= 2;
    const stamps = new Int32Array(size);
    stamps.set(this.#stamps);
    const values = new Array<T | undefined>(size).fill(undefined);
    for (let i = 0; i < this.#values.length; i++) values[i] = this.#values[i];
    this.#stamps = stamps;
    this.#values = values;
  }
}

/** Numbers the checks of one engine; every StampedSlots of the engine reads it. */
export class CheckClock {
  /** The running check's number; 0 is never a check's, so fresh slots read as unset. */
  current = 0;
  readonly #slots: StampedSlots<unknown>[] = [];

  slots<T>(): StampedSlots<T> {
    const s = new StampedSlots<T>(this);
    this.#slots.push(s);
    return s;
  }

  /** Starts a check: every slot written by earlier checks now reads as unset. */
  next(): void {
    if (this.current === 0x7fffffff) {
      for (const s of this.#slots) s.clear();
      this.current = 0;
    }
    this.current++;
  }
}
