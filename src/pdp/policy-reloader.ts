// The policy set the server answers with, and its reloads. A load reads the policy folder,
// compiles it and builds an engine; only a complete, compiled engine is published, by one
// reference assignment, so a request sees either the old set or the new one, never a mix.
// A broken edit leaves the last good set serving and is reported in the log and in status().
//
// Compiling runs on the main thread: while a reload compiles, requests wait in the event loop.
// For the repositories Cerbos users keep (hundreds of policies) this is tens of milliseconds;
// a very large repository would stall requests for the whole compile on every edit, and the
// remedy then is compiling in a worker thread and transferring the result (not done: a
// compiled set holds closures, which cannot cross threads, so the worker would have to
// rebuild it anyway).
//
// As Cerbos does, a policy folder that does not compile at startup is fatal: creating the
// reloader rejects and the server does not start (Cerbos exits with "failed to build index").

import { compilePolicySet, createEngine, type Engine, type EngineOptions } from "../authz/index.ts";
import { formatDiagnostic, type Diagnostic } from "../kernel/diagnostic.ts";
import { GatehouseError, InvalidPolicyError } from "../kernel/errors.ts";
import type { Logger } from "../kernel/logger.ts";
import type { Metrics } from "../kernel/metrics.ts";
import { readPolicyRepository, watchDirectory, type DirectoryWatch } from "../store/disk/index.ts";
import type { PolicyStatus } from "./types.ts";

export interface PolicyReloaderOptions {
  readonly directory: string;
  /** Reload when files under `directory` change (Cerbos `storage.disk.watchForChanges`). */
  readonly watch: boolean;
  readonly engine: EngineOptions;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Quiet time after the last change before reloading. Default 300 ms. */
  readonly debounceMs?: number;
  /** Epoch milliseconds; tests pin it. */
  readonly now?: () => number;
}

export interface PolicyReloader {
  /** The engine of the serving policy set. */
  current(): Engine | undefined;
  status(): PolicyStatus;
  /**
   * Loads the folder again; true when the new set now serves. Reloads never overlap: a call
   * while one runs schedules one more after it (calls meanwhile share that one).
   */
  reload(): Promise<boolean>;
  /** Stops watching and waits for a running reload. */
  close(): Promise<void>;
}

interface Serving {
  readonly engine: Engine;
  readonly policies: number;
  readonly loadedAt: string;
}

type LoadResult =
  | { readonly ok: true; readonly serving: Serving; readonly warnings: readonly Diagnostic[] }
  | { readonly ok: false; readonly problems: readonly string[]; readonly error: Error };

/** Loads and starts serving the policies in `directory`; rejects when they do not compile. */
export async function createPolicyReloader(
  options: PolicyReloaderOptions,
): Promise<PolicyReloader> {
  const { directory, logger, metrics } = options;
  const now = options.now ?? Date.now;
  const log = logger.child({ component: "policy-store", directory });

  const load = async (): Promise<LoadResult> => {
    let repo;
    try {
      repo = await readPolicyRepository(directory);
    } catch (e) {
      const error = new GatehouseError("IO", `cannot read policy folder \`${directory}\``, {
        cause: e,
      });
      return { ok: false, problems: [`${error.message}: ${String(e)}`], error };
    }
    const { policySet, diagnostics } = compilePolicySet({
      policies: repo.policies,
      schemas: repo.schemas,
    });
    const all = [...repo.diagnostics, ...diagnostics];
    if (!policySet) {
      return { ok: false, problems: all.map(formatDiagnostic), error: new InvalidPolicyError(all) };
    }
    const engine = createEngine(policySet, options.engine);
    return {
      ok: true,
      serving: {
        engine,
        policies: policySet.policyKeys.length,
        loadedAt: new Date(now()).toISOString(),
      },
      warnings: all,
    };
  };

  let serving: Serving | undefined;
  let lastError: PolicyStatus["lastError"];

  const loadAndSwap = async (initial: boolean): Promise<LoadResult> => {
    const started = performance.now();
    // a throw here is a bug in the compiler, but it must not stop the watcher nor the old set
    const result = await load().catch((e: unknown): LoadResult => ({
      ok: false,
      problems: [`internal error while loading policies: ${String(e)}`],
      error: new GatehouseError("INTERNAL", "internal error while loading policies", {
        cause: e,
      }),
    }));
    const seconds = (performance.now() - started) / 1000;
    if (result.ok) {
      // the swap: one assignment; requests already holding the old engine finish with it
      serving = result.serving;
      lastError = undefined;
      for (const w of result.warnings) log.warn("policy warning", { problem: formatDiagnostic(w) });
      log.info(initial ? "policies loaded" : "policies reloaded", {
        policies: serving.policies,
        seconds,
      });
    } else {
      lastError = { at: new Date(now()).toISOString(), problems: result.problems };
      log.error(
        initial
          ? "policies failed to load"
          : "policy reload failed; the previous policy set keeps serving",
        { problems: result.problems },
      );
    }
    metrics.observeReload(result.ok, serving?.policies ?? 0, seconds);
    return result;
  };

  const first = await loadAndSwap(true);
  if (!first.ok) throw first.error;

  let inFlight: Promise<boolean> | undefined;
  let queued: Promise<boolean> | undefined;
  const reload = (): Promise<boolean> => {
    if (!inFlight) {
      inFlight = loadAndSwap(false)
        .then((r) => r.ok)
        .finally(() => (inFlight = undefined));
      return inFlight;
    }
    // `finally` above clears inFlight before this runs, so the queued call starts a fresh load
    queued ??= inFlight.then(() => {
      queued = undefined;
      return reload();
    });
    return queued;
  };

  let watcher: DirectoryWatch | undefined;
  if (options.watch) {
    watcher = watchDirectory(directory, {
      ...(options.debounceMs === undefined ? {} : { debounceMs: options.debounceMs }),
      onChange: () => {
        log.debug("policy folder changed");
        // reload() never rejects: failures are values, already logged
        void reload();
      },
      onError: (e) => log.error("watching the policy folder failed; reloads stopped", { error: e }),
    });
    log.info("watching the policy folder for changes");
  }

  return {
    current: () => serving?.engine,
    status: () => ({
      serving: serving !== undefined,
      policies: serving?.policies ?? 0,
      ...(serving ? { loadedAt: serving.loadedAt } : {}),
      ...(lastError ? { lastError } : {}),
    }),
    reload,
    async close() {
      watcher?.close();
      watcher = undefined;
      await (queued ?? inFlight);
    },
  };
}
