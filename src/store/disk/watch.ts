// Watches a policy directory for edits so the server can reload: one recursive fs.watch (on
// Linux Node walks the tree and adds watches for folders created later), changes debounced
// into one callback per burst, and editor noise (swap files, backups, hidden files) ignored.
// Editors that save by writing a temporary file and renaming it over the original show up as
// a `rename` of the policy file, which counts as a change like any other.

import { watch, type FSWatcher } from "node:fs";

export interface WatchOptions {
  /** Called once per burst of changes, `debounceMs` after the last one. */
  readonly onChange: () => void;
  /** Quiet time before `onChange` fires. Default 300 ms. */
  readonly debounceMs?: number;
  /** The watcher failed (the folder went away, too many watches); no more changes are reported. */
  readonly onError?: (error: Error) => void;
}

export interface DirectoryWatch {
  close(): void;
}

const policyExtension = /\.(ya?ml|json)$/iu;
const editorNoise = /(~|\.sw[a-p]|\.tmp|\.bak|\.orig)$/iu;

/**
 * Whether a changed path (relative, as fs.watch reports it) can affect the policy set. Names
 * without an extension may be folders (created, removed or renamed with files inside), so they
 * count. Kubernetes ConfigMap volumes update by swapping the hidden `..data` symlink, the one
 * hidden name that matters.
 */
export function isRelevantChange(path: string | null): boolean {
  // Without a name (some platforms) nothing can be ruled out.
  if (path === null || path === "") return true;
  const parts = path.split(/[\\/]/u);
  if (parts.includes("..data")) return true;
  if (parts.some((p) => p.startsWith("."))) return false;
  const name = parts[parts.length - 1]!;
  if (editorNoise.test(name)) return false;
  // vim probes whether it may write a folder by creating and deleting a file named 4913
  if (/^\d+$/u.test(name)) return false;
  return policyExtension.test(name) || !name.includes(".");
}

export function watchDirectory(dir: string, options: WatchOptions): DirectoryWatch {
  const debounceMs = options.debounceMs ?? 300;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const fire = (): void => {
    timer = undefined;
    if (!closed) options.onChange();
  };
  const watcher: FSWatcher = watch(dir, { recursive: true, persistent: false }, (_event, name) => {
    if (closed || !isRelevantChange(name === null ? null : String(name))) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(fire, debounceMs);
  });
  watcher.on("error", (e: Error) => {
    if (closed) return;
    options.onError?.(e);
  });
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      watcher.close();
    },
  };
}
