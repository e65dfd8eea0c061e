// Policy documents: parse YAML/JSON policy files into the typed model, with a position index so
// every later diagnostic can point at file:line:col and a Cerbos-style path.

export type { PolicySource, ParsedPolicy } from "./parse-policy.ts";
export {
  parsePolicy,
  parsePolicyDocuments,
  PARSE_ERROR,
  POLICY_ERROR,
  VALIDATION_ERROR,
} from "./parse-policy.ts";
export type { DecodedPolicyDocument, ParseOptions } from "./parse-policy.ts";
