// The official clients' `planResources` (@cerbos/http and @cerbos/grpc, each from its own
// workspace with its own @cerbos/core), unchanged, against every available target (the real
// Cerbos 0.55 and the Gatehouse server, each as its own process): the filters of simple plans as
// the client presents them, and the same answers from both targets. Each client's test file
// runs this suite with its client and its @cerbos/core classes.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { PdpServer } from "../support/cerbos-server.ts";
import { serverTargets } from "../support/gatehouse-server.ts";
import { writePlanPolicies } from "./plan-policies.ts";

/** A plan request as both clients take it: one action, or several. */
type PlanRequest = PlanRequestBase &
  ({ readonly action: string; readonly actions?: never } | { readonly actions: string[] });

interface PlanRequestBase {
  readonly requestId?: string;
  readonly principal: { readonly id: string; readonly roles: string[] };
  readonly resource: {
    readonly kind: string;
    readonly scope?: string;
    readonly attr?: Record<string, string>;
  };
  readonly includeMetadata?: boolean;
}

/** What the suite reads of a client's answer. */
interface PlanResponse {
  readonly requestId: string;
  readonly cerbosCallId?: string | undefined;
  readonly kind: string;
  readonly condition?: unknown;
  readonly metadata?:
    | {
        readonly conditionString: string;
        readonly matchedScope?: string | undefined;
        readonly matchedScopes?: Readonly<Record<string, string>> | undefined;
      }
    | undefined;
}

interface PlanClient {
  planResources(request: PlanRequest): Promise<PlanResponse>;
  close?(): void;
}

export interface PlanClientKit {
  /** `@cerbos/http` or `@cerbos/grpc`. */
  readonly name: string;
  connect(server: PdpServer): PlanClient;
  /**
   * `request.resource.attr.status == "open"` as the client presents a condition, built from
   * its own @cerbos/core's classes (answers are instances of them).
   */
  readonly statusIsOpen: unknown;
  /** The client's own @cerbos/core. */
  readonly core: {
    readonly NotOK: abstract new (...args: never[]) => { code: number; details: string };
    readonly PlanKind: {
      readonly CONDITIONAL: string;
      readonly ALWAYS_ALLOWED: string;
      readonly ALWAYS_DENIED: string;
    };
  };
}

const user = { id: "u", roles: ["user"] };
const admin = { id: "a", roles: ["admin"] };

const requests: Record<string, PlanRequest> = {
  conditional: { requestId: "c1", principal: user, resource: { kind: "doc" }, action: "view" },
  "always allowed, with metadata": {
    requestId: "c2",
    principal: admin,
    resource: { kind: "doc" },
    actions: ["view", "edit"],
    includeMetadata: true,
  },
  "always denied": {
    requestId: "c3",
    principal: admin,
    resource: { kind: "doc" },
    actions: ["delete"],
  },
  "decided in a scope": {
    requestId: "c4",
    principal: user,
    resource: { kind: "doc", scope: "acme" },
    action: "comment",
    includeMetadata: true,
  },
  "a known attribute": {
    requestId: "c5",
    principal: user,
    resource: { kind: "doc", attr: { status: "open" } },
    actions: ["view"],
  },
};

/** The client's response as plain data, without the call id every server makes up. */
function plain(value: PlanResponse): unknown {
  const json = JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  delete json["cerbosCallId"];
  return json;
}

/** Registers the suite for one client. */
export function planResourcesSuite(kit: PlanClientKit): void {
  const { NotOK, PlanKind } = kit.core;
  const policies = writePlanPolicies();
  after(() => policies.remove());

  const answers = new Map<string, Map<string, unknown>>();

  for (const target of serverTargets()) {
    describe(`${kit.name} planResources: ${target.name}`, { skip: target.unavailable }, () => {
      let server: PdpServer;
      let client: PlanClient;
      before(async () => {
        server = await target.start({ policyDir: policies.dir });
        client = kit.connect(server);
      });
      after(async () => {
        client?.close?.();
        await server?.stop();
      });

      const record = (name: string, res: PlanResponse): void => {
        const seen = answers.get(name) ?? new Map<string, unknown>();
        seen.set(target.name, plain(res));
        answers.set(name, seen);
      };

      it("a conditional plan: the filter as expression objects", async () => {
        const res = await client.planResources(requests["conditional"]!);
        record("conditional", res);
        assert.equal(res.requestId, "c1");
        assert.match(res.cerbosCallId ?? "", /^[0-9A-Z]{26}$/);
        assert.equal(res.kind, PlanKind.CONDITIONAL);
        assert.ok(res.kind === PlanKind.CONDITIONAL);
        assert.deepEqual(res.condition, kit.statusIsOpen);
        assert.equal(res.metadata, undefined);
      });

      it("an always-allowed plan with metadata", async () => {
        const res = await client.planResources(requests["always allowed, with metadata"]!);
        record("always allowed, with metadata", res);
        assert.equal(res.kind, PlanKind.ALWAYS_ALLOWED);
        assert.equal(res.metadata?.conditionString, "(true)");
        assert.deepEqual(res.metadata?.matchedScopes, { edit: "", view: "" });
      });

      it("an always-denied plan", async () => {
        const res = await client.planResources(requests["always denied"]!);
        record("always denied", res);
        assert.equal(res.kind, PlanKind.ALWAYS_DENIED);
      });

      it("a plan decided in a scope, asked with the deprecated single action", async () => {
        const res = await client.planResources(requests["decided in a scope"]!);
        record("decided in a scope", res);
        assert.equal(res.kind, PlanKind.ALWAYS_ALLOWED);
        assert.equal(res.metadata?.matchedScope, "acme");
      });

      it("a plan where a known attribute settles the condition", async () => {
        const res = await client.planResources(requests["a known attribute"]!);
        record("a known attribute", res);
        assert.equal(res.kind, PlanKind.ALWAYS_ALLOWED);
      });

      it("an invalid request: NotOK with code 3 and Cerbos's message", async () => {
        const err = await client
          .planResources({ principal: user, resource: { kind: "" }, actions: ["view", "view"] })
          .then(
            () => assert.fail("expected a NotOK"),
            (e: unknown) => e,
          );
        assert.ok(err instanceof NotOK, String(err));
        assert.equal(err.code, 3);
        assert.equal(
          err.details,
          "validation errors:\n - actions: repeated value must contain unique items\n - resource.kind: value is required",
        );
      });
    });
  }

  describe(`${kit.name} planResources: the same answers from every target`, () => {
    it("matches", (t) => {
      const compared = [...answers.values()].filter((m) => m.size > 1);
      if (compared.length === 0) {
        t.skip("fewer than two targets answered");
        return;
      }
      for (const [name, byTarget] of answers) {
        const [first, ...rest] = [...byTarget.values()];
        for (const other of rest) assert.deepEqual(other, first, name);
      }
    });
  });
}
