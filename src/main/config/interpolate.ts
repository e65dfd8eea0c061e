// Environment variable references in configuration values, expanded the way Cerbos expands them
// (go.uber.org/config): `$NAME` and `${NAME}` take the variable's value, `${NAME:default}` falls
// back to `default`, `${NAME:""}` to the empty string, and `$$` is a literal `$`. A variable that
// is not set and has no default is an error, as in Cerbos. `$` followed by anything else stays.
// Cerbos expands the YAML text after dropping comments, so a reference in a comment never fails;
// Gatehouse expands scalar values only, which gives the same result.

export type Interpolation =
  | { readonly ok: true; readonly text: string; readonly changed: boolean }
  | { readonly ok: false; readonly message: string };

const nameStart = /[A-Za-z_]/;
const nameChar = /[A-Za-z0-9_]/;

export function interpolate(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
): Interpolation {
  if (!text.includes("$")) return { ok: true, text, changed: false };
  let out = "";
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf("$", i);
    if (dollar === -1 || dollar === text.length - 1) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    const next = text[dollar + 1] ?? "";
    if (next === "$") {
      out += "$";
      i = dollar + 2;
      continue;
    }
    let token: string;
    if (next === "{") {
      const close = text.indexOf("}", dollar + 2);
      if (close === -1) {
        // No closing brace: not a reference (go.uber.org/config copies it as it is).
        out += text.slice(dollar);
        break;
      }
      token = text.slice(dollar + 2, close);
      i = close + 1;
    } else if (nameStart.test(next)) {
      let end = dollar + 2;
      while (end < text.length && nameChar.test(text[end] ?? "")) end++;
      token = text.slice(dollar + 1, end);
      i = end;
    } else {
      out += "$";
      i = dollar + 1;
      continue;
    }
    const sep = token.indexOf(":");
    const name = sep === -1 ? token : token.slice(0, sep);
    const fallback = sep === -1 ? "" : token.slice(sep + 1);
    const value = env[name];
    if (value !== undefined) out += value;
    else if (fallback === '""') out += "";
    else if (fallback !== "") out += fallback;
    else {
      return {
        ok: false,
        message: `environment variable \`${name}\` is not set and \`${"$"}{${name}}\` has no default (write \`${"$"}{${name}:default}\`, \`${"$"}{${name}:""}\` for an empty default, or \`$$\` for a literal \`$\`)`,
      };
    }
  }
  return { ok: true, text: out, changed: true };
}
