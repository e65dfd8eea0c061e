// The official @cerbos/grpc client's `planResources`, unchanged, against every available target:
// the shared suite (../plan-resources-suite.ts) with this client and its own @cerbos/core.

import * as core from "@cerbos/core";
import { GRPC } from "@cerbos/grpc";
import { planResourcesSuite } from "../plan-resources-suite.ts";

planResourcesSuite({
  name: "@cerbos/grpc",
  connect: (server) => new GRPC(server.grpcAddr, { tls: false }),
  statusIsOpen: new core.PlanExpression("eq", [
    new core.PlanExpressionVariable("request.resource.attr.status"),
    new core.PlanExpressionValue("open"),
  ]),
  core,
});
