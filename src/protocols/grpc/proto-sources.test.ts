// The generated code comes from proto/wire/, which proto/strip-annotations.ts writes from the
// vendored proto/upstream/. These tests keep the two in step and pin what the script removes.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  protoDirs,
  protoFiles,
  stripAnnotations,
  wireHeader,
} from "../../../proto/strip-annotations.ts";

describe("proto sources", () => {
  it("wire/ is what strip-annotations writes from upstream/ (run npm run generate:proto)", () => {
    const files = protoFiles(protoDirs.upstream);
    assert.ok(files.includes("cerbos/svc/v1/svc.proto"));
    assert.deepEqual(protoFiles(protoDirs.wire), files);
    for (const file of files) {
      const upstream = readFileSync(join(protoDirs.upstream, file), "utf8");
      const wire = readFileSync(join(protoDirs.wire, file), "utf8");
      assert.equal(wire, wireHeader(file) + stripAnnotations(upstream), file);
    }
  });

  it("wire/ imports nothing outside itself but the protobuf well-known types", () => {
    for (const file of protoFiles(protoDirs.wire)) {
      const text = readFileSync(join(protoDirs.wire, file), "utf8");
      for (const [, imported] of text.matchAll(/^import "([^"]+)";/gm)) {
        assert.ok(
          imported!.startsWith("google/protobuf/") || existsSync(join(protoDirs.wire, imported!)),
          `${file} imports ${imported}`,
        );
      }
      assert.doesNotMatch(text, /\((buf\.validate|google\.api|grpc\.gateway)\b/, file);
    }
  });
});

describe("stripAnnotations", () => {
  it("removes annotation imports and custom options, keeping standard ones", () => {
    const src = [
      'import "buf/validate/validate.proto";',
      'import "google/protobuf/struct.proto";',
      'import "protoc-gen-openapiv2/options/annotations.proto";',
      'option go_package = "x";',
      "option (grpc.gateway.protoc_gen_openapiv2.options.openapiv2_swagger) = {",
      '  info: {title: "a; b {c}"}',
      "};",
      "message M {",
      "  option (buf.validate.message).oneof = {fields: ['a', 'b']};",
      "  string a = 1 [",
      "    (buf.validate.field).string = {min_len: 1},",
      '    json_name = "aa",',
      "    deprecated = true",
      "  ];",
      "  string b = 2 [(google.api.field_behavior) = REQUIRED]; // trailing",
      "}",
      "service S {",
      "  rpc R(M) returns (M) {",
      '    option (google.api.http) = {post: "/r" body: "*"};',
      "  }",
      "}",
    ].join("\n");
    assert.equal(
      stripAnnotations(src),
      [
        'import "google/protobuf/struct.proto";',
        'option go_package = "x";',
        "message M {",
        '  string a = 1 [json_name = "aa", deprecated = true];',
        "  string b = 2; // trailing",
        "}",
        "service S {",
        "  rpc R(M) returns (M) {",
        "  }",
        "}",
      ].join("\n"),
    );
  });
});
