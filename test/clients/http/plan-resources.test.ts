// The official @cerbos/http client's `planResources`, unchanged, against every available target:
// the shared suite (../plan-resources-suite.ts) with this client and its own @cerbos/core.

import * as core from "@cerbos/core";
import { HTTP } from "@cerbos/http";
import { planResourcesSuite } from "../plan-resources-suite.ts";

planResourcesSuite({
  name: "@cerbos/http",
  connect: (server) => new HTTP(server.httpUrl),
  statusIsOpen: new core.PlanExpression("eq", [
    new core.PlanExpressionVariable("request.resource.attr.status"),
    new core.PlanExpressionValue("open"),
  ]),
  core,
});
