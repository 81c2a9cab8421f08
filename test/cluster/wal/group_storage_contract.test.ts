/**
 * A group's view of the shared log passes the storage contract (storage_contract.ts), with
 * several groups open at once: every case runs on a new group of one shared log (small segments,
 * so cases cross segment boundaries), and each of its writes is interleaved with writes of two
 * neighbour groups in the same turn. The neighbours' logs are checked whole at the end.
 */
import { afterAll, expect, test } from "bun:test";
import type { ConfState } from "../../../src/cluster/raft/types.ts";
import type { DurableRaftStorage } from "../../../src/cluster/storage/types.ts";
import type { GroupStorage } from "../../../src/cluster/wal/group_storage.ts";
import type { SharedLog } from "../../../src/cluster/wal/shared_log.ts";
import { entriesOf, hardState, makeTemporaryDirectory, plain, removeTemporaryDirectory } from "../storage/helpers.ts";
import { runStorageContract } from "../storage/storage_contract.ts";
import { WriteWrappedStorage } from "../storage/write_wrapped_storage.ts";
import { openSharedLog, threeVoters } from "./helpers.ts";

const root = makeTemporaryDirectory("wal-contract");
const wal: SharedLog = await openSharedLog(root, { segmentSizeBytes: 512 });
const neighbours: GroupStorage[] = [
  await wal.openGroup(1_000_001, threeVoters),
  await wal.openGroup(1_000_002, threeVoters),
];
let nextGroupId = 1;

afterAll(async () => {
  await wal.close();
  removeTemporaryDirectory(root);
});

/** Each neighbour appends one entry of term 1, in the caller's turn. */
function neighboursWrite(): void {
  for (const neighbour of neighbours) {
    const index = neighbour.lastIndex() + 1;
    void neighbour.persist({ hardState: hardState(1, 1, index - 1), entries: entriesOf(index, index, 1) });
  }
}

/** The case's storage, each write of it surrounded by the neighbours' writes in the same turn. */
function interleaved(inner: GroupStorage): DurableRaftStorage {
  return new WriteWrappedStorage(inner, (write) => {
    neighboursWrite();
    const done = write();
    neighboursWrite();
    return done;
  });
}

runStorageContract("GroupStorage (shared log, neighbours interleaved)", async (confState: ConfState) => {
  return interleaved(await wal.openGroup(nextGroupId++, confState));
});

test("the neighbours' logs are whole after every case", async () => {
  for (const neighbour of neighbours) {
    const last = neighbour.lastIndex();
    expect(last).toBeGreaterThan(20);
    expect(plain(neighbour.entries(1, last + 1, Number.MAX_SAFE_INTEGER))).toEqual(plain(entriesOf(1, last, 1)));
  }
  expect(wal.stats().segmentCount).toBeGreaterThan(3);
});
