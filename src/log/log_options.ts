/**
 * LogOptions with defaults filled in and each field checked; a bad value gets a LogOptionError
 * naming the field.
 */
import type { FsyncMode, LogOptions } from "./types.ts";
import { LogOptionError } from "./errors.ts";
import { backgroundSyncRecordsMinDefault } from "./group_commit.ts";
import { batchDelayMsDefault, batchDelayMsMax, segmentSizeBytesDefault, segmentSizeBytesMax, segmentSizeBytesMin } from "./constants.ts";

export interface ResolvedLogOptions {
  dir: string;
  fsync: FsyncMode;
  batchDelayMs: number;
  segmentSizeBytes: number;
  onFsync: ((durationSeconds: number) => void) | null;
  backgroundSyncRecordsMin: number;
  refuseDamage: boolean;
}

const fsyncModes: readonly FsyncMode[] = ["always", "batch", "unsafe-no-fsync"];

export function resolveLogOptions(options: LogOptions): ResolvedLogOptions {
  if (typeof options.dir !== "string" || options.dir.length === 0) throw new LogOptionError("dir: must be a non-empty path");
  const fsync = options.fsync ?? "always";
  if (!fsyncModes.includes(fsync)) throw new LogOptionError(`fsync: must be one of ${fsyncModes.join(", ")}, got ${String(fsync)}`);
  const batchDelayMs = checkInteger("batchDelayMs", options.batchDelayMs ?? batchDelayMsDefault, 0, batchDelayMsMax);
  const segmentSizeBytes = checkInteger("segmentSizeBytes", options.segmentSizeBytes ?? segmentSizeBytesDefault, segmentSizeBytesMin, segmentSizeBytesMax);
  const backgroundSyncRecordsMin = checkInteger("backgroundSyncRecordsMin", options.backgroundSyncRecordsMin ?? backgroundSyncRecordsMinDefault, 1, Number.MAX_SAFE_INTEGER);
  const damage = options.damage ?? "report";
  if (damage !== "report" && damage !== "refuse") {
    throw new LogOptionError(`damage: must be report or refuse, got ${String(damage)}`);
  }
  const onFsync = options.onFsync ?? null;
  const refuseDamage = damage === "refuse";
  return { dir: options.dir, fsync, batchDelayMs, segmentSizeBytes, onFsync, backgroundSyncRecordsMin, refuseDamage };
}

function checkInteger(field: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new LogOptionError(`${field}: must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}
