import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GatehouseError, InvalidArgumentError } from "../../kernel/errors.ts";
import { CerbosService } from "./gen/cerbos/svc/v1/svc_pb.ts";
import { Health } from "./gen/grpc/health/v1/health_pb.ts";
import { rawMethodDefinition, RpcError, serviceOf, statusOf } from "./rpc-method.ts";

describe("statusOf", () => {
  it("maps Gatehouse error codes to gRPC codes with their messages", () => {
    assert.deepEqual(statusOf(new InvalidArgumentError("principal.id", "value is required")), {
      code: 3,
      message: "principal.id: value is required",
    });
    assert.equal(statusOf(new GatehouseError("NOT_FOUND", "x")).code, 5);
    assert.equal(statusOf(new GatehouseError("IO", "disk")).code, 13);
  });

  it("keeps an RpcError's code and hides the message of anything else", () => {
    assert.deepEqual(statusOf(new RpcError(12, "`X` is not implemented yet")), {
      code: 12,
      message: "`X` is not implemented yet",
    });
    const hidden = statusOf(new TypeError("cannot read properties of undefined"));
    assert.equal(hidden.code, 13);
    assert.doesNotMatch(hidden.message, /undefined/);
  });
});

describe("rawMethodDefinition", () => {
  it("names the method by its full path and passes bytes through", () => {
    const check = CerbosService.method.checkResources;
    const def = rawMethodDefinition(check);
    assert.equal(def.path, "/cerbos.svc.v1.CerbosService/CheckResources");
    assert.equal(def.requestStream, false);
    assert.equal(def.responseStream, false);
    const bytes = new Uint8Array([1, 2, 3]);
    assert.deepEqual([...def.requestSerialize(bytes)], [1, 2, 3]);
    assert.deepEqual([...def.responseDeserialize(Buffer.from(bytes))], [1, 2, 3]);
  });

  it("marks server-streaming methods", () => {
    const def = rawMethodDefinition(Health.method.watch);
    assert.equal(def.requestStream, false);
    assert.equal(def.responseStream, true);
  });
});

describe("serviceOf", () => {
  it("defines only the methods given handlers", () => {
    const { definition, implementation } = serviceOf(Health, { Check: () => {} });
    assert.deepEqual(Object.keys(definition), ["Check"]);
    assert.deepEqual(Object.keys(implementation), ["Check"]);
  });

  it("refuses a handler for a method the service does not have", () => {
    assert.throws(() => serviceOf(Health, { Chek: () => {} }), /no method `Chek`/);
  });
});
