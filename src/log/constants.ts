/**
 * Limits of the segmented log, each with the reason for its value. Relations between them
 * are asserted below at load, so a bad edit fails at once rather than on some rare path.
 */
import { assert } from "../util/assert.ts";

/**
 * Default size at which a segment file rolls over. 64 MiB keeps a segment's recovery scan and
 * its in-memory tail copy well under a second and a few dozen megabytes, while making
 * rollover (three fdatasyncs) rare enough not to show in append tails.
 */
export const segmentSizeBytesDefault = 64 * 1024 * 1024;

/**
 * Smallest segment size accepted. Tests use tiny segments to cross many boundaries; below
 * this a segment could not hold even its own header plus one small record.
 */
export const segmentSizeBytesMin = 64;

/**
 * Largest segment size accepted: record offsets are stored as u32 in the offset table, and
 * the active segment is mirrored in memory, so 1 GiB bounds both.
 */
export const segmentSizeBytesMax = 1024 * 1024 * 1024;

/**
 * Largest payload of one record. Raft entries and engine commands are small; anything bigger
 * than 16 MiB is a bug upstream, and bounding it bounds the memory one append can pin.
 */
export const recordPayloadBytesMax = 16 * 1024 * 1024;

/**
 * Most payloads one append() call may carry: bounds the work done in one synchronous call
 * (it runs on the event loop) and the size of one coalesced write.
 */
export const appendPayloadsPerCallMax = 65_536;

/** Default wait of the `batch` fsync mode: a few ms trades latency for fewer fdatasyncs. */
export const batchDelayMsDefault = 2;

/** Longest accepted `batchDelayMs`: beyond a second, acknowledgements would stall clients. */
export const batchDelayMsMax = 1000;

/** First size of the in-memory copy of the active segment; it doubles as records arrive. */
export const tailBufferBytesInitial = 64 * 1024;

/** Highest record index: indexes are JavaScript numbers, exact up to 2^53 - 1. */
export const recordIndexMax = Number.MAX_SAFE_INTEGER;

assert(segmentSizeBytesMin <= segmentSizeBytesDefault, "default segment size below the minimum");
assert(segmentSizeBytesDefault <= segmentSizeBytesMax, "default segment size above the maximum");
assert(segmentSizeBytesMax < 2 ** 32, "segment offsets must fit the u32 offset table");
assert(tailBufferBytesInitial > 0, "tail buffer must start non-empty");
