/**
 * Every append and snapshot chunk the driver's Raft core sends fits one peer frame: the frame
 * bounds of peer_codec.ts hold for the largest encodings (every number at its largest), and the
 * load-time check of cluster_limits.ts refuses Raft sizes that would not fit, saying why.
 */
import { describe, expect, test } from "bun:test";
import * as flatbuffers from "flatbuffers";
import { checkRaftSizesFitPeerFrame, raftMessageSizes } from "../../src/cluster/cluster_limits.ts";
import { groupMembersMax } from "../../src/cluster/raft/conf_change.ts";
import type { Entry, Message } from "../../src/cluster/raft/types.ts";
import {
  appendFrameBytesMax, encodeMessageFrame, snapshotFrameBytesMax,
} from "../../src/cluster/transport/peer_codec.ts";
import { peerFrameSizeBytesMax } from "../../src/cluster/transport/transport_limits.ts";

const builder = new flatbuffers.Builder(1024);
/** Every index, term and count at its largest, so no field encodes shorter than it could. */
const numberMax = Number.MAX_SAFE_INTEGER;
const nodeIdMax = 0xffffffff;
/** The largest group id: the group field is encoded (group 0 is the default, left out). */
const groupMax = 0xffffffff;

function appendOf(entries: Entry[]): Message {
  const numbers = { term: numberMax, prevIndex: numberMax, prevTerm: numberMax, commit: numberMax };
  return { type: "append", from: nodeIdMax, to: nodeIdMax - 1, ...numbers, entries };
}

/** `count` entries whose data lengths cycle through 0..3 bytes: every alignment a vector can need. */
function entries(count: number, dataBytes: (index: number) => number): Entry[] {
  return Array.from({ length: count }, (_, index) => (
    { index: index + 1, term: numberMax, kind: "normal", data: new Uint8Array(dataBytes(index)) }));
}

const dataBytesOf = (list: Entry[]) => list.reduce((total, entry) => total + entry.data.length, 0);

describe("peer frame bounds hold for the largest encodings", () => {
  test("appends: many small entries, one large entry, none", () => {
    const cases = [
      entries(raftMessageSizes.appendEntriesCountMax, (index) => index % 4),
      entries(1, () => 1024 * 1024 + 3),
      entries(2, (index) => index * 7),
      [],
    ];
    for (const list of cases) {
      const frame = encodeMessageFrame(builder, groupMax, appendOf(list));
      expect({ entries: list.length, fits: frame.length <= appendFrameBytesMax(dataBytesOf(list), list.length) })
        .toEqual({ entries: list.length, fits: true });
    }
  });

  test("a snapshot chunk of the largest membership", () => {
    const members = Array.from({ length: groupMembersMax }, (_, index) => nodeIdMax - index);
    const confState = { voters: members.slice(0, groupMembersMax / 2), learners: members.slice(groupMembersMax / 2) };
    const chunk = new Uint8Array(4099);
    const metadata = { index: numberMax, term: numberMax, confState };
    const frame = encodeMessageFrame(builder, groupMax, {
      type: "snapshot", from: nodeIdMax, to: nodeIdMax - 1, term: numberMax, metadata,
      offset: numberMax, chunk, done: false, totalBytes: numberMax,
    });
    expect(frame.length).toBeLessThanOrEqual(snapshotFrameBytesMax(chunk.length, groupMembersMax));
  });
});

describe("the Raft sizes are checked against the peer frame at load", () => {
  test("the driver's sizes fit the peer frame", () => {
    expect(() => checkRaftSizesFitPeerFrame(raftMessageSizes, peerFrameSizeBytesMax)).not.toThrow();
    expect(raftMessageSizes.appendEntriesBytesMax).toBeGreaterThanOrEqual(raftMessageSizes.proposalBytesMax);
  });

  test("an append budget that would not fit a frame is refused with the reason", () => {
    const { appendEntriesBytesMax, appendEntriesCountMax } = raftMessageSizes;
    const appendBound = appendFrameBytesMax(appendEntriesBytesMax, appendEntriesCountMax);
    expect(() => checkRaftSizesFitPeerFrame(raftMessageSizes, appendBound)).not.toThrow();
    expect(() => checkRaftSizesFitPeerFrame(raftMessageSizes, appendBound - 1))
      .toThrow(`over the ${appendBound - 1}-byte peer frame: it would be dropped and the follower stall`);
  });

  test("a snapshot chunk that would not fit a frame is refused with the reason", () => {
    const sizes = { ...raftMessageSizes, snapshotChunkBytes: peerFrameSizeBytesMax };
    expect(() => checkRaftSizesFitPeerFrame(sizes, peerFrameSizeBytesMax))
      .toThrow(/a snapshot chunk of .* it would be dropped/);
  });

  test("a proposal larger than the append budget is refused: an append carries one entry whole", () => {
    const sizes = { ...raftMessageSizes, appendEntriesBytesMax: raftMessageSizes.proposalBytesMax - 1 };
    expect(() => checkRaftSizesFitPeerFrame(sizes, peerFrameSizeBytesMax))
      .toThrow("an append must carry the largest proposal whole");
  });
});
