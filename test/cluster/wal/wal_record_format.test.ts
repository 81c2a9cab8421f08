/**
 * The shared log's record format (wal_record_format.ts): every kind round trips; every
 * truncation, extension and header change of a valid record is refused with a reason.
 */
import { describe, expect, test } from "bun:test";
import {
  decodeEntryAt,
  decodeWalRecord,
  encodeEntriesRecord,
  encodeGroupRemovedRecord,
  encodeHardStateRecord,
  encodeSnapshotRecord,
  type SnapshotRecord,
} from "../../../src/cluster/wal/wal_record_format.ts";
import { entriesOf, plain } from "../storage/helpers.ts";

const snapshot: SnapshotRecord = {
  index: 2 ** 40,
  term: 7,
  confState: { voters: [1, 2, 3], learners: [9] },
  anchorIndex: 2 ** 40 - 5,
  anchorTerm: 6,
  fileSequence: 12,
  reset: false,
};
const entries = entriesOf(2 ** 33, 2 ** 33 + 2, 4);

function validRecords(): Uint8Array[] {
  return [
    encodeEntriesRecord(4_000_000_000, entries, 2 ** 33 + 1).payload,
    encodeHardStateRecord(1, { term: 2 ** 50, vote: 3, commit: 17 }),
    encodeSnapshotRecord(2, snapshot),
    encodeGroupRemovedRecord(3),
  ];
}

describe("shared-log records", () => {
  test("every kind round trips", () => {
    const { payload, offsets } = encodeEntriesRecord(4_000_000_000, entries, 2 ** 33 + 1);
    const decoded = decodeWalRecord(payload);
    const places = offsets.map((offset) => ({ term: 4, offset }));
    const firstIndex = 2 ** 33;
    const commit = firstIndex + 1;
    expect(decoded).toEqual({ kind: "entries", groupId: 4_000_000_000, firstIndex, commit, entries: places });
    const read = offsets.map((offset, position) => decodeEntryAt(payload, offset, 2 ** 33 + position));
    expect(plain(read)).toEqual(plain(entries));
    const hardState = { term: 2 ** 50, vote: 3, commit: 17 };
    expect(decodeWalRecord(validRecords()[1])).toEqual({ kind: "hardState", groupId: 1, hardState });
    expect(decodeWalRecord(validRecords()[2])).toEqual({ kind: "snapshot", groupId: 2, snapshot });
    const reset = encodeSnapshotRecord(2, { ...snapshot, reset: true });
    expect(decodeWalRecord(reset)).toMatchObject({ snapshot: { reset: true } });
    expect(decodeWalRecord(validRecords()[3])).toEqual({ kind: "groupRemoved", groupId: 3 });
  });

  test("every truncation and every extension of a valid record is refused", () => {
    for (const record of validRecords()) {
      for (let length = 0; length < record.length; length++) {
        expect(typeof decodeWalRecord(record.subarray(0, length))).toBe("string");
      }
      const extended = new Uint8Array(record.length + 4);
      extended.set(record);
      expect(typeof decodeWalRecord(extended)).toBe("string");
    }
  });

  test("an unknown kind or version, or reserved bytes set, is refused", () => {
    const changes = [
      [0, 9, "unknown record kind 9"],
      [1, 2, "unknown record version 2"],
      [2, 1, "reserved header bytes set"],
    ] as const;
    for (const [offset, value, reason] of changes) {
      const record = validRecords()[1].slice();
      record[offset] = value;
      expect(decodeWalRecord(record)).toBe(reason);
    }
  });

  test("numbers that are not indexes, an anchor past the snapshot and a bad entry are refused", () => {
    const hard = validRecords()[1].slice();
    new DataView(hard.buffer).setFloat64(8, 1.5, true);
    expect(decodeWalRecord(hard)).toBe("hard state term or commit not an index");
    const anchorPast = encodeSnapshotRecord(2, { ...snapshot, anchorIndex: snapshot.index + 1 });
    expect(decodeWalRecord(anchorPast)).toContain("past the snapshot index");
    const { payload, offsets } = encodeEntriesRecord(1, entries, 0);
    payload[offsets[1] + 8] = 7;
    expect(decodeWalRecord(payload)).toContain("unknown kind 7");
    const commitPast = encodeEntriesRecord(1, entries, 2 ** 33 + 3).payload;
    expect(decodeWalRecord(commitPast)).toBe(`entries record with commit ${2 ** 33 + 3}`);
  });

  test("a group id outside u32 is refused when encoding", () => {
    expect(() => encodeGroupRemovedRecord(2 ** 32)).toThrow("outside [0, 4294967295]");
  });
});
