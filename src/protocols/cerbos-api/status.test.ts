// Unit tests of the error-code table: HTTP status, gRPC code and Cerbos's JSON error body.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GatehouseError, InvalidArgumentError } from "../../kernel/errors.ts";
import { decodeCheckResourcesRequest } from "./check-resources.ts";
import { toGrpcStatus, toHttpError } from "./status.ts";

const options = { maxActionsPerResource: 50, maxResourcesPerRequest: 50, principalOptional: false };

describe("toHttpError and toGrpcStatus", () => {
  it("map invalid arguments to 400 / 3, without details when there are none", () => {
    const err = new InvalidArgumentError("", "invalid auxData");
    assert.deepEqual(toHttpError(err), {
      status: 400,
      body: { code: 3, message: "invalid auxData" },
    });
    assert.deepEqual(toGrpcStatus(err), { code: 3, message: "invalid auxData" });
  });

  it("carry buf.validate violations as details, as Cerbos does", () => {
    let err: unknown;
    try {
      decodeCheckResourcesRequest({ principal: { id: "x" } }, options);
    } catch (e) {
      err = e;
    }
    const { status, body } = toHttpError(err);
    assert.equal(status, 400);
    assert.equal(
      body.message,
      "validation errors:\n - principal.roles: value is required\n - resources: value is required",
    );
    assert.deepEqual(body.details, [
      {
        "@type": "type.googleapis.com/buf.validate.Violations",
        violations: [
          {
            field: {
              elements: [
                { fieldNumber: 3, fieldName: "principal", fieldType: "TYPE_MESSAGE" },
                { fieldNumber: 3, fieldName: "roles", fieldType: "TYPE_STRING" },
              ],
            },
            rule: {
              elements: [{ fieldNumber: 25, fieldName: "required", fieldType: "TYPE_BOOL" }],
            },
            ruleId: "required",
            message: "value is required",
          },
          {
            field: {
              elements: [{ fieldNumber: 4, fieldName: "resources", fieldType: "TYPE_MESSAGE" }],
            },
            rule: {
              elements: [{ fieldNumber: 25, fieldName: "required", fieldType: "TYPE_BOOL" }],
            },
            ruleId: "required",
            message: "value is required",
          },
        ],
      },
    ]);
  });

  it("map each code through one table", () => {
    const cases = [
      ["NOT_FOUND", 404, 5],
      ["INVALID_POLICY", 400, 3],
      ["INTERNAL", 500, 13],
      ["IO", 500, 13],
    ] as const;
    for (const [code, http, grpc] of cases) {
      const err = new GatehouseError(code, `a ${code} error`);
      assert.equal(toHttpError(err).status, http, code);
      assert.equal(toHttpError(err).body.code, grpc, code);
      assert.deepEqual(toGrpcStatus(err), { code: grpc, message: `a ${code} error` });
    }
  });

  it("map anything else to 500 / 13 without its message", () => {
    const secret = new TypeError(
      "cannot read properties of undefined (reading 'x') at /srv/app.ts",
    );
    assert.deepEqual(toHttpError(secret), {
      status: 500,
      body: { code: 13, message: "internal error" },
    });
    assert.deepEqual(toGrpcStatus("boom"), { code: 13, message: "internal error" });
  });
});
