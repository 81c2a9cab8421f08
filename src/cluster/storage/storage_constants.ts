/** Bounds and file names of the durable Raft storage (one folder per Raft group). */

/** Folder of the Raft log's segment files, inside the storage folder. */
export const logFolderName = "log";
/** The hard-state log: fixed-size checksummed records, newest last. */
export const hardStateFileName = "hard_state";
/** The newest snapshot: metadata and state-machine image under one checksum. */
export const snapshotFileName = "snapshot";

/**
 * Hard-state records kept before the file is rewritten with only the newest one. At 32 bytes
 * each this bounds the file to 512 KiB, and the rewrite (an atomic rename) happens once every
 * 16384 hard-state changes, so its cost is spread thin.
 */
export const hardStateRecordsPerFileMax = 16_384;

/**
 * Decoded entries kept in memory, newest first, for the leader's sends and the follower's
 * term checks right after an append. 4096 entries cover several election timeouts of
 * appends at high rates; the byte bound below keeps large entries from holding much memory.
 */
export const entryCacheCountMax = 4096;
/** Bytes of entry data kept in the cache of recent entries (see entryCacheCountMax). */
export const entryCacheBytesMax = 32 * 1024 * 1024;
