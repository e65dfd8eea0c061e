import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { isRelevantChange, watchDirectory, type DirectoryWatch } from "./watch.ts";

describe("isRelevantChange", () => {
  it("counts policy files, folders and the ConfigMap swap", () => {
    for (const p of ["a.yaml", "x/y/b.yml", "c.JSON", "newdir", "..data", "..data/a.yaml", null])
      assert.equal(isRelevantChange(p), true, String(p));
  });
  it("ignores hidden files, editor noise and other files", () => {
    for (const p of [".a.yaml.swp", "a.yaml~", "x/.git/HEAD", "4913", "a.yaml.tmp", "README.md"])
      assert.equal(isRelevantChange(p), false, p);
  });
});

describe("watchDirectory", () => {
  let dir: string;
  let w: DirectoryWatch | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "gatehouse-watch-"));
  });
  afterEach(() => {
    w?.close();
    w = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** Resolves on the next onChange; counts calls. */
  const start = (): { next: () => Promise<void>; count: () => number } => {
    let calls = 0;
    let wake: (() => void) | undefined;
    w = watchDirectory(dir, {
      debounceMs: 50,
      onChange: () => {
        calls++;
        wake?.();
      },
    });
    return {
      next: () => new Promise<void>((r) => (wake = r)),
      count: () => calls,
    };
  };

  it("reports one change for a burst of writes", async () => {
    const s = start();
    const changed = s.next();
    for (let i = 0; i < 5; i++) writeFileSync(join(dir, `p${i}.yaml`), "x: 1\n");
    await changed;
    assert.equal(s.count(), 1);
  });

  it("sees a rename-save and files in folders created after it started", async () => {
    const s = start();
    let changed = s.next();
    writeFileSync(join(dir, ".p.yaml.tmp"), "x: 2\n");
    renameSync(join(dir, ".p.yaml.tmp"), join(dir, "p.yaml"));
    await changed;
    changed = s.next();
    mkdirSync(join(dir, "sub", "deeper"), { recursive: true });
    await changed;
    changed = s.next();
    writeFileSync(join(dir, "sub", "deeper", "q.yaml"), "x: 3\n");
    await changed;
    assert.equal(s.count(), 3);
  });

  it("stays quiet for noise and after close", async () => {
    const s = start();
    writeFileSync(join(dir, "notes.md"), "hello");
    writeFileSync(join(dir, ".hidden.yaml"), "x: 1\n");
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(s.count(), 0);
    const changed = s.next();
    writeFileSync(join(dir, "p.yaml"), "x: 1\n");
    await changed;
    assert.equal(s.count(), 1);
    w?.close();
    writeFileSync(join(dir, "p2.yaml"), "x: 1\n");
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(s.count(), 1);
  });
});
