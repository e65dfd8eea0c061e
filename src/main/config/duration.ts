// Durations in Go's syntax (`1h`, `2s`, `500ms`, `1h30m`, `1.5s`), as Cerbos's configuration
// writes them. A bare number other than 0 is refused: Cerbos would read `5` as five
// nanoseconds, which is never what an author of `acceptableTimeSkew: 5` meant.

const unitSeconds: Readonly<Record<string, number>> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  μs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

/** Seconds, or a message saying what is wrong. */
export function parseDuration(value: string | number): number | string {
  if (typeof value === "number") {
    return value === 0
      ? 0
      : `\`${value}\` has no unit; write a duration such as \`${value}s\` or \`${value}ms\``;
  }
  const text = value.trim();
  if (text === "0") return 0;
  const match = /^([-+]?)((?:[0-9]*\.?[0-9]+[a-zµμ]+)+)$/.exec(text);
  if (match === null) {
    return `\`${value}\` is not a duration (expected a number and a unit, such as \`30s\`, \`500ms\` or \`1h30m\`)`;
  }
  let total = 0;
  for (const part of (match[2] ?? "").matchAll(/([0-9]*\.?[0-9]+)([a-zµμ]+)/g)) {
    const factor = unitSeconds[part[2] ?? ""];
    if (factor === undefined) {
      return `\`${part[2]}\` in \`${value}\` is not a duration unit (use ns, us, ms, s, m or h)`;
    }
    total += Number(part[1]) * factor;
  }
  return match[1] === "-" ? -total : total;
}
