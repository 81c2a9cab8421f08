/**
 * Limits and names of the shared log (shared_log.ts), each with the reason for its value.
 * Relations between them are asserted below at load.
 */
import { recordPayloadBytesMax, segmentSizeBytesDefault } from "../../log/constants.ts";
import { assert } from "../../util/assert.ts";

/** Folder of the segment files, inside the shared log's folder. */
export const logFolderName = "log";
/** Folder of the snapshot images, inside the shared log's folder. */
export const snapshotFolderName = "snapshots";

/** Highest group id: the record header stores it as a u32; four billion groups is no limit. */
export const groupIdMax = 2 ** 32 - 1;

/**
 * Entry bytes in one entries record: a larger Ready is split into several records. A read of
 * one entry that missed the cache checks the CRC32C of its whole record, so the bound keeps such
 * a read near 20 µs; a record of at least one entry may exceed it (an entry is never split).
 */
export const entriesRecordBytesMax = 256 * 1024;

/**
 * Recent entries kept decoded per group (a leader sends what it just appended). A quarter of
 * the single-group storage's 4096: a node holds dozens of groups, and a few turns of appends
 * are what a leader re-reads.
 */
export const groupEntryCacheCountMax = 1024;
/** Bytes of entry data kept per group in that cache: 64 busy groups hold at most 256 MiB. */
export const groupEntryCacheBytesMax = 4 * 1024 * 1024;

/**
 * A group whose live records lie in a sealed segment is rewritten forward (its entries, snapshot
 * metadata and hard state appended anew) when it has at most this many live entries: an idle or
 * small group then never holds an old segment, for the price of copying a few records once per
 * segment. A group with more is left to its next snapshot (TiKV's raft-engine uses 32 too).
 */
export const rewriteEntriesMax = 32;
/** ...and at most this many bytes of them, so a rewrite stays one small write. */
export const rewriteEntryBytesMax = 64 * 1024;

/**
 * A group is *far behind* when its oldest live record has this much newer log after it (counted
 * from the start of that record's segment): it holds back four segments that other groups are
 * done with, and every open replays them. The scheduler then snapshots and compacts that group
 * rather than let it pin the log; a lesser lag is left to the group's own snapshot schedule,
 * which catches up without the cost of a forced snapshot.
 */
export const laggingGroupLogBytesMin = 4 * segmentSizeBytesDefault;

/**
 * fdatasync in the thread pool from this many records in a flush (src/log/group_commit.ts):
 * always, as the single-group storage does, since a node's leaders count acknowledgements and
 * apply entries while the disk works.
 */
export const backgroundSyncRecordsMinShared = 1;

assert(entriesRecordBytesMax < recordPayloadBytesMax, "an entries record must fit a log record");
assert(rewriteEntryBytesMax <= entriesRecordBytesMax, "a rewrite's entries must fit one record");
assert(laggingGroupLogBytesMin >= 2 * segmentSizeBytesDefault, "lagging must mean more than the active segment");
