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

// The positioned YAML/JSON reader, shared with the test-suite reader (authz/verify): documents
// decoded against a message shape, with Cerbos's parse error messages and positions.
export { decodeText, keySegment } from "./decode-document.ts";
export type {
  DecodedDocument,
  DecodedText,
  DecodeProblem,
  PathOffsets,
} from "./decode-document.ts";
export { effects, fieldShape } from "./policy-shape.ts";
export type { FieldShape, FieldType, MessageShape } from "./policy-shape.ts";
