/**
 * Which groups hold the shared log's sealed segments, and how much: the feedback the scheduler
 * acts on (snapshot a group far behind rather than let it pin the log; TiKV's raft-engine hands
 * back the same list from each purge). Pure: it gets the groups' oldest live records and the
 * segments' sizes.
 */

export interface SegmentPin {
  groupId: number;
  /** Location of the group's oldest live record. */
  oldestLiveRecord: number;
  /** First location of the sealed segment holding it. */
  segmentFirstIndex: number;
  /** Bytes of the log from that segment on: how far behind the group is. */
  logBytesSince: number;
  /**
   * Bytes of sealed segments that would be dropped if this group and every pin older than it
   * moved on: for the oldest pin, what snapshotting that one group frees (0 when another group
   * pins the same segment).
   */
  bytesPinned: number;
}

interface SegmentSize {
  firstIndex: number;
  sizeBytes: number;
}

/** The segment (position) holding `location`, by binary search on first indexes. */
function segmentPosition(segments: readonly SegmentSize[], location: number): number {
  let low = 0;
  let high = segments.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >>> 1;
    if (segments[middle].firstIndex <= location) low = middle;
    else high = middle - 1;
  }
  return low;
}

function bytesBetween(segments: readonly SegmentSize[], from: number, toExclusive: number): number {
  let total = 0;
  for (let position = from; position < toExclusive; position++) total += segments[position].sizeBytes;
  return total;
}

/**
 * Pins of sealed segments, oldest first. `segments` oldest first, the last one active; a group
 * whose oldest live record is in the active segment pins nothing.
 */
export function segmentPins(
  groups: ReadonlyArray<{ groupId: number; oldestLiveRecord: number }>,
  segments: readonly SegmentSize[],
): SegmentPin[] {
  if (segments.length < 2) return [];
  const activePosition = segments.length - 1;
  const pinning = groups
    .map((group) => ({ ...group, position: segmentPosition(segments, group.oldestLiveRecord) }))
    .filter((group) => group.position < activePosition)
    .sort((left, right) => left.oldestLiveRecord - right.oldestLiveRecord || left.groupId - right.groupId);
  return pinning.map((group, rank) => {
    const nextPosition = rank + 1 < pinning.length ? pinning[rank + 1].position : activePosition;
    return {
      groupId: group.groupId,
      oldestLiveRecord: group.oldestLiveRecord,
      segmentFirstIndex: segments[group.position].firstIndex,
      logBytesSince: bytesBetween(segments, group.position, segments.length),
      bytesPinned: bytesBetween(segments, group.position, nextPosition),
    };
  });
}
