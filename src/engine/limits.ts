/**
 * Every limit of the storage engine, in one place, each with its unit last and the reason
 * for its value. Relationships between limits are asserted below at load time.
 */
import { recordPayloadBytesMax } from "../log/constants.ts";
import { assert } from "../util/assert.ts";

/** Keys are identifiers (collection/owner/id paths); 4 KiB bounds index memory per key. */
export const keySizeBytesMax = 4 * 1024;

/** A value lives in one log record; 8 MiB keeps one write from stalling the group commit. */
export const valueSizeBytesMax = 8 * 1024 * 1024;

/** An atomic batch is one log record; bounded so one request cannot monopolize the log. */
export const batchCommandsMax = 1024;

/**
 * The encoded record of one command (a batch included). Twice the largest value so a batch
 * may carry one maximal value plus small writes, yet a record always fits a log segment.
 */
export const recordSizeBytesMax = 2 * valueSizeBytesMax;

/** A scan page; bounds the work and memory of one request (resume with the cursor). */
export const scanEntriesMax = 10_000;

/**
 * The longest a compaction or checkpoint step runs before yielding to the event loop, so
 * reads and writes queued behind it wait at most about this long.
 */
export const maintenanceStepPauseMillisecondsMax = 2;

/**
 * Entries handled between two clock reads inside a maintenance step: a clock read costs about
 * as much as handling one small entry, and 16 entries stay far below the pause bound.
 */
export const maintenanceEntriesPerClockCheck = 16;

/**
 * Values relocated per compaction step. Each costs an index update after the append, work the
 * step's clock check cannot interrupt; 256 keeps that tail of a step within the pause bound.
 */
export const compactionStepEntriesMax = 256;

/** Relocation records written by compaction stay small so each encode and append is a short step. */
export const compactionRecordBytesMax = 256 * 1024;

/** Snapshot chunks: large enough to amortize per-chunk overhead, small enough to stream. */
export const snapshotChunkBytesTarget = 1024 * 1024;

/** Default automatic compaction trigger: garbage above this share of the log's bytes. */
export const autoCompactionGarbageRatioMin = 0.5;

/** Default automatic compaction trigger: never bother below this log size. */
export const autoCompactionLogBytesMin = 64 * 1024 * 1024;

/**
 * Default automatic checkpoint: once this many log records follow the last checkpoint. Replay
 * runs at roughly a few hundred thousand records a second, so this bounds the replay part of
 * a restart to a few seconds, while a checkpoint of millions of keys stays infrequent.
 */
export const autoCheckpointRecordsMin = 500_000;

/** Applies between two checks of the automatic compaction and checkpoint triggers (sizeBytes() has a cost). */
export const autoCompactionCheckEveryApplies = 256;

assert(keySizeBytesMax < valueSizeBytesMax, "keys must be smaller than values");
assert(recordSizeBytesMax >= valueSizeBytesMax + keySizeBytesMax + 64, "a maximal put must fit one record");
assert(compactionRecordBytesMax <= recordSizeBytesMax, "relocation records obey the record limit");
assert(recordSizeBytesMax <= recordPayloadBytesMax, "an engine record must fit one log record");
