#!/usr/bin/env node
// The `gatehouse` command. The CLI is TypeScript run directly by Node's type stripping, which
// needs Node 24; on older versions say so instead of failing with a syntax error.

import process from "node:process";

const major = Number(process.versions.node.split(".")[0]);
if (!(major >= 24)) {
  process.stderr.write(
    `gatehouse: error: Node.js 24 or newer is required (this is ${process.version}); install Node 24 or run it with npx node@24\n`,
  );
  process.exit(1);
}

const { main } = await import("../src/main/cli.ts");
await main();
