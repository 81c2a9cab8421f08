/**
 * A crash workload for the shared log, as many Raft followers on one node would write: every turn
 * each group persists a batch (sometimes a new term with a vote, sometimes overwriting its
 * uncommitted tail, commit advancing), all in one turn; sometimes a group compacts behind a
 * snapshot, and sometimes the log drops segments. Each acknowledged write is handed back for
 * the AcknowledgedGroups model (acknowledged_groups.ts) to check a reopened log against. Entry
 * data is "<group>:<index>@<term>", so any entry can be checked from its place alone. Used in
 * process (synced_image.test.ts) and by the SIGKILL fixture (fixtures/wal_child.ts).
 */
import type { Entry, HardState } from "../../../src/cluster/raft/types.ts";
import type { GroupStorage } from "../../../src/cluster/wal/group_storage.ts";
import type { SharedLog } from "../../../src/cluster/wal/shared_log.ts";

const encoder = new TextEncoder();

export function entryData(groupId: number, index: number, term: number): string {
  return `${groupId}:${index}@${term}`;
}

/** What one acknowledged write made durable. */
export type Acknowledgement =
  | { kind: "persist"; groupId: number; hardState: HardState; first: number; last: number }
  | { kind: "compact"; groupId: number; snapshotIndex: number };

/** A seeded PRNG (mulberry32): a failing seed replays the same workload. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** One group's next batch, drawn from `random`, continuing from what its storage holds. */
function nextBatch(group: GroupStorage, random: () => number): { hardState: HardState; entries: Entry[] } {
  const current = group.initialState().hardState;
  let { term, vote } = current;
  term = Math.max(term, group.term(group.lastIndex()), 1);
  if (random() < 0.1) {
    term += 1;
    vote = 1 + Math.floor(random() * 3);
  }
  const commit = current.commit;
  const overwrite = random() < 0.2 && group.lastIndex() > commit + 1;
  const first = overwrite ? Math.max(commit + 1, group.lastIndex() - 2) : group.lastIndex() + 1;
  const count = 1 + Math.floor(random() * 4);
  const entries: Entry[] = [];
  for (let index = first; index < first + count; index++) {
    entries.push({ index, term, kind: "normal", data: encoder.encode(entryData(group.groupId, index, term)) });
  }
  return { hardState: { term, vote, commit: Math.max(commit, first + count - 3) }, entries };
}

/** Compacts a group behind a snapshot at its commit index, when that moves its snapshot on. */
function compactAtCommit(group: GroupStorage): Promise<Acknowledgement> | null {
  const commit = group.initialState().hardState.commit;
  if (commit <= group.snapshot().metadata.index || commit < group.firstIndex()) return null;
  const metadata = { index: commit, term: group.term(commit), confState: { voters: [1, 2, 3], learners: [] } };
  const snapshot = { metadata, data: encoder.encode(`image of ${group.groupId} at ${commit}`) };
  return group.compact(Math.max(group.firstIndex(), commit - 2), snapshot).then(() => ({
    kind: "compact", groupId: group.groupId, snapshotIndex: commit,
  }));
}

/**
 * One turn: every group persists a batch, all called before any is awaited; then some compact,
 * and sometimes the log drops segments while those compactions are still being written (then
 * `segmentsCompacted` runs, before they are acknowledged).
 */
export async function runTurn(
  wal: SharedLog,
  groups: GroupStorage[],
  random: () => number,
  segmentsCompacted?: () => Promise<void>,
): Promise<Acknowledgement[]> {
  const writes: Promise<Acknowledgement>[] = groups.map((group) => {
    const batch = nextBatch(group, random);
    const first = batch.entries[0].index;
    const last = batch.entries[batch.entries.length - 1].index;
    const { groupId } = group;
    const acknowledgement: Acknowledgement = { kind: "persist", groupId, hardState: batch.hardState, first, last };
    return group.persist(batch).then(() => acknowledgement);
  });
  const acknowledgements = await Promise.all(writes);
  const compactions = groups.filter(() => random() < 0.05).map(compactAtCommit);
  if (random() < 0.1) {
    await wal.compactSegments();
    await segmentsCompacted?.();
  }
  for (const compaction of compactions) if (compaction !== null) acknowledgements.push(await compaction);
  return acknowledgements;
}
