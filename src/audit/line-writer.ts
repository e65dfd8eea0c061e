// Appends JSON lines to a file, stdout or stderr without holding up requests: lines queue in
// memory and a background flush writes them, complete lines only, in one write per batch. The
// file is opened in append mode (O_APPEND), so every write lands at the end even when several
// worker processes share the file, and since a write carries whole lines, lines from different
// processes never mix. A failing write is logged and its lines dropped; it never throws.

import { open, type FileHandle } from "node:fs/promises";
import type { Logger } from "../kernel/logger.ts";

export interface LineWriter {
  write(line: string): void;
  /** Writes everything queued so far. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface LineWriterOptions {
  /** A file path, or `stdout` / `stderr`. */
  readonly path: string;
  readonly logger: Logger;
  /** Queued bytes beyond which new lines are dropped (and counted) until the queue drains. Default 32 MiB. */
  readonly maxQueuedBytes?: number;
}

/** Largest single write; keeps one slow write from carrying an unbounded batch. */
const maxBatchBytes = 1 << 20;

export function createLineWriter(options: LineWriterOptions): LineWriter {
  const { path, logger } = options;
  const maxQueued = options.maxQueuedBytes ?? 32 << 20;
  let queue: string[] = [];
  let queuedBytes = 0;
  let dropped = 0;
  let flushing: Promise<void> | undefined;
  let closed = false;
  let scheduled = false;

  type Sink = { write(batch: string): Promise<void>; close(): Promise<void> };
  const streamSink = (stream: NodeJS.WriteStream): Sink => ({
    write: (batch) =>
      new Promise<void>((resolve, reject) =>
        stream.write(batch, (e) => (e ? reject(e) : resolve())),
      ),
    close: () => Promise.resolve(),
  });
  const fileSink = (handle: FileHandle): Sink => ({
    async write(batch) {
      // one write(2) per batch; a short write (disk full, signal) continues where it stopped
      let buf = Buffer.from(batch);
      while (buf.length > 0) {
        const { bytesWritten } = await handle.write(buf);
        buf = buf.subarray(bytesWritten);
      }
    },
    close: () => handle.close(),
  });
  const target: Promise<Sink | undefined> =
    path === "stdout"
      ? Promise.resolve(streamSink(process.stdout))
      : path === "stderr"
        ? Promise.resolve(streamSink(process.stderr))
        : open(path, "a").then(fileSink, (e: unknown) => {
            logger.error("cannot open the audit log; entries are dropped", { path, error: e });
            return undefined;
          });

  const drain = async (): Promise<void> => {
    const out = await target;
    while (queue.length > 0) {
      let batch = "";
      let n = 0;
      while (n < queue.length && (n === 0 || batch.length + queue[n]!.length <= maxBatchBytes)) {
        batch += queue[n];
        n++;
      }
      queue = queue.slice(n);
      queuedBytes -= batch.length;
      if (!out) continue;
      try {
        await out.write(batch);
      } catch (e) {
        logger.error("writing the audit log failed; entries dropped", { path, lines: n, error: e });
      }
    }
    if (dropped > 0) {
      logger.error("the audit log fell behind; entries dropped", { path, lines: dropped });
      dropped = 0;
    }
  };

  const flush = (): Promise<void> => {
    flushing ??= drain().finally(() => {
      flushing = undefined;
      // lines queued while the last batch was being written
      if (queue.length > 0) void flush();
    });
    return flushing;
  };

  return {
    write(line) {
      if (closed) return;
      if (queuedBytes + line.length > maxQueued) {
        dropped++;
        return;
      }
      queue.push(line);
      queuedBytes += line.length;
      if (!scheduled) {
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          void flush();
        });
      }
    },
    async flush() {
      while (queue.length > 0 || flushing) await flush();
    },
    async close() {
      closed = true;
      while (queue.length > 0 || flushing) await flush();
      await (await target)?.close();
    },
  };
}
