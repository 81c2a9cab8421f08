/** Shared helpers of the engine tests: byte conversions, temp folders, engines on both logs. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Engine, type EngineOptions } from "../../src/engine/engine.ts";
import type { Entry } from "../../src/engine/types.ts";
import { MemoryLog } from "./memory_log.ts";

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
export const text = (value: Uint8Array): string => new TextDecoder().decode(value);

export async function temporaryFolder(): Promise<{ path: string; [Symbol.asyncDispose](): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), "filestore-engine-"));
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) };
}

/** Opens and reopens an engine over one log kind, so a test can run on both. */
export interface EngineHarness {
  readonly kind: "memory" | "segmented";
  open(extra?: Partial<EngineOptions>): Promise<Engine>;
  /** Closes `engine` and opens a new one over the same data (a clean restart). */
  restart(engine: Engine, extra?: Partial<EngineOptions>): Promise<Engine>;
}

export function memoryHarness(directory: string, recordsPerSegment = 8): EngineHarness {
  let log = new MemoryLog(undefined, recordsPerSegment);
  return {
    kind: "memory",
    open: (extra) => Engine.open({ dir: directory, log, autoCompaction: false, autoCheckpoint: false, ...extra }),
    async restart(engine, extra) {
      await engine.close();
      log = log.reopen();
      return Engine.open({ dir: directory, log, autoCompaction: false, autoCheckpoint: false, ...extra });
    },
  };
}

export function segmentedHarness(directory: string, segmentSizeBytes = 4096): EngineHarness {
  const options: EngineOptions = { dir: directory, fsync: "unsafe-no-fsync", segmentSizeBytes, autoCompaction: false, autoCheckpoint: false };
  return {
    kind: "segmented",
    open: (extra) => Engine.open({ ...options, ...extra }),
    async restart(engine, extra) {
      await engine.close();
      return Engine.open({ ...options, ...extra });
    },
  };
}

/** Every live entry as [key, value, version] text triples, in key order. */
export function dump(engine: Engine): Array<[string, string, number]> {
  const result: Array<[string, string, number]> = [];
  let cursor: Uint8Array | undefined;
  for (;;) {
    const page = engine.scan({ limit: 1000, cursor });
    for (const entry of page.entries) result.push(describe(entry));
    if (page.nextCursor === null) return result;
    cursor = page.nextCursor;
  }
}

function describe(entry: Entry): [string, string, number] {
  return [text(entry.key), text(entry.value), entry.version];
}

/**
 * Time limits of the heavier tests (property runs, snapshots of thousands of keys): generous,
 * because the machine running them may be shared; they bound a hang, they time nothing.
 */
export const slowTestTimeoutMilliseconds = 60_000;

/** Crash tests spawn a process and wait for its acknowledgements: bound a stuck child. */
export const crashTestTimeoutMilliseconds = 60_000;
