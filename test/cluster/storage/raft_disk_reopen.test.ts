/**
 * The disk Raft storage across reopens: entries, hard state, membership, compaction and snapshots
 * survive; torn and corrupt files are handled as documented.
 */
import { afterAll, expect, test } from "bun:test";
import fs from "node:fs";
import path from "node:path";
import { CompactedError } from "../../../src/cluster/raft/errors.ts";
import { RaftDiskStorage } from "../../../src/cluster/storage/raft_disk_storage.ts";
import { hardStateRecordBytes } from "../../../src/cluster/storage/hard_state_file.ts";
import { hardStateFileName, snapshotFileName } from "../../../src/cluster/storage/storage_constants.ts";
import { RaftStorageCorruptError } from "../../../src/cluster/storage/types.ts";
import { entriesOf, hardState, makeTemporaryDirectory, plain, removeTemporaryDirectory, snapshotAt } from "./helpers.ts";

const root = makeTemporaryDirectory("reopen");
afterAll(() => removeTemporaryDirectory(root));
let opened = 0;
const voters = { voters: [1, 2, 3], learners: [] };
const options = { fsync: "always", segmentSizeBytes: 256 } as const;
const unlimitedBytes = Number.MAX_SAFE_INTEGER;

function freshDir(): string {
  return path.join(root, `store-${++opened}`);
}

test("entries, hard state and membership survive a reopen; a reopen ignores new initial members", async () => {
  const dir = freshDir();
  const storage = await RaftDiskStorage.open(dir, options, voters);
  await storage.persist({ hardState: hardState(1, 1, 0), entries: entriesOf(1, 6, 1) });
  await storage.persist({ hardState: hardState(2, 2, 4), entries: entriesOf(5, 9, 2) });
  await storage.close();
  const reopened = await RaftDiskStorage.open(dir, options, { voters: [7], learners: [] });
  expect(reopened.initialState()).toEqual({ hardState: hardState(2, 2, 4), confState: voters });
  expect(reopened.lastIndex()).toBe(9);
  expect(plain(reopened.entries(1, 10, unlimitedBytes))).toEqual(plain([...entriesOf(1, 4, 1), ...entriesOf(5, 9, 2)]));
  expect(reopened.stats().entryCacheHits).toBe(0);
  await reopened.close();
});

test("compaction and the snapshot survive a reopen; the log keeps whole segments past the cut", async () => {
  const dir = freshDir();
  const storage = await RaftDiskStorage.open(dir, options, voters);
  await storage.persist({ hardState: hardState(1, 1, 40), entries: entriesOf(1, 40, 1) });
  await storage.compact(30, snapshotAt(35, 1, [1, 2, 3], "image@35"));
  await storage.close();
  const reopened = await RaftDiskStorage.open(dir, options);
  expect(reopened.snapshot().metadata).toEqual({ index: 35, term: 1, confState: voters });
  expect(new TextDecoder().decode(reopened.snapshot().data)).toBe("image@35");
  expect(reopened.firstIndex()).toBeLessThanOrEqual(36);
  expect(reopened.firstIndex()).toBeGreaterThan(1);
  expect(() => reopened.term(reopened.firstIndex() - 2)).toThrow(CompactedError);
  expect(plain(reopened.entries(36, 41, unlimitedBytes))).toEqual(plain(entriesOf(36, 40, 1)));
  await reopened.close();
});

test("an installed snapshot survives a reopen with the entries after it", async () => {
  const dir = freshDir();
  const storage = await RaftDiskStorage.open(dir, options, voters);
  await storage.persist({ hardState: hardState(1, 1, 2), entries: entriesOf(1, 3, 1) });
  await storage.persist({ hardState: hardState(4, 0, 50), entries: entriesOf(51, 52, 4), snapshot: snapshotAt(50, 4, [1, 2, 3], "s50") });
  await storage.close();
  const reopened = await RaftDiskStorage.open(dir, options);
  expect(reopened.firstIndex()).toBe(51);
  expect(reopened.term(50)).toBe(4);
  expect(plain(reopened.entries(51, 53, unlimitedBytes))).toEqual(plain(entriesOf(51, 52, 4)));
  expect(reopened.initialState().hardState).toEqual(hardState(4, 0, 50));
  await reopened.close();
});

test("a corrupt hard-state record is a typed error, not a reset", async () => {
  const dir = freshDir();
  const storage = await RaftDiskStorage.open(dir, options, voters);
  await storage.persist({ hardState: hardState(3, 2, 0), entries: [] });
  await storage.persist({ hardState: hardState(4, 1, 0), entries: [] });
  await storage.close();
  const file = path.join(dir, hardStateFileName);
  const bytes = fs.readFileSync(file);
  bytes[hardStateRecordBytes + 9] ^= 0x40;
  fs.writeFileSync(file, bytes);
  await expect(RaftDiskStorage.open(dir, options)).rejects.toThrow(RaftStorageCorruptError);
});

test("a torn hard-state tail (partial or unwritten record) falls back to the previous record", async () => {
  const dir = freshDir();
  const storage = await RaftDiskStorage.open(dir, options, voters);
  await storage.persist({ hardState: hardState(3, 2, 0), entries: [] });
  await storage.close();
  const file = path.join(dir, hardStateFileName);
  fs.appendFileSync(file, new Uint8Array(hardStateRecordBytes));
  fs.appendFileSync(file, new Uint8Array([1, 2, 3]));
  let reopened = await RaftDiskStorage.open(dir, options);
  expect(reopened.initialState().hardState).toEqual(hardState(3, 2, 0));
  await reopened.persist({ hardState: hardState(5, 1, 0), entries: [] });
  await reopened.close();
  reopened = await RaftDiskStorage.open(dir, options);
  expect(reopened.initialState().hardState).toEqual(hardState(5, 1, 0));
  await reopened.close();
});

test("a corrupt snapshot file is a typed error", async () => {
  const dir = freshDir();
  const storage = await RaftDiskStorage.open(dir, options, voters);
  await storage.persist({ hardState: hardState(1, 1, 5), entries: entriesOf(1, 5, 1) });
  await storage.compact(5, snapshotAt(5, 1, [1, 2, 3], "image@5"));
  await storage.close();
  const file = path.join(dir, snapshotFileName);
  const bytes = fs.readFileSync(file);
  bytes[bytes.length - 1] ^= 0x01;
  fs.writeFileSync(file, bytes);
  await expect(RaftDiskStorage.open(dir, options)).rejects.toThrow(RaftStorageCorruptError);
});

test("the hard-state file is rewritten with its newest record when full, and reads back", async () => {
  const dir = freshDir();
  const storage = await RaftDiskStorage.open(dir, { fsync: "unsafe-no-fsync" }, voters);
  const changes = 16_384 + 10;
  for (let term = 1; term <= changes; term++) await storage.persist({ hardState: hardState(term, 1, 0), entries: [] });
  await storage.close();
  expect(fs.statSync(path.join(dir, hardStateFileName)).size).toBeLessThanOrEqual(11 * hardStateRecordBytes);
  const reopened = await RaftDiskStorage.open(dir, options);
  expect(reopened.initialState().hardState).toEqual(hardState(changes, 1, 0));
  await reopened.close();
});
