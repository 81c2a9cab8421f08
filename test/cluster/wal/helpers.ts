/**
 * Helpers of the shared-log tests: a shared log in a temporary folder, a group's state as plain
 * data (to compare before and after a reopen), and one turn's persists of many groups.
 */
import type { ConfState } from "../../../src/cluster/raft/types.ts";
import type { GroupStorage } from "../../../src/cluster/wal/group_storage.ts";
import { SharedLog } from "../../../src/cluster/wal/shared_log.ts";
import type { SharedLogOptions } from "../../../src/cluster/wal/wal_recovery.ts";
import { entriesOf, hardState, plain } from "../storage/helpers.ts";

export const threeVoters: ConfState = { voters: [1, 2, 3], learners: [] };

export function openSharedLog(dir: string, options: Partial<SharedLogOptions> = {}): Promise<SharedLog> {
  return SharedLog.open({ dir, fsync: "always", ...options });
}

/** Everything a group's storage shows, as plain data (entries with their data as text). */
export function groupPicture(storage: GroupStorage): unknown {
  const first = storage.firstIndex();
  const last = storage.lastIndex();
  const snapshot = storage.snapshot();
  return {
    initialState: storage.initialState(),
    firstIndex: first,
    lastIndex: last,
    anchorTerm: storage.term(first - 1),
    entries: last >= first ? plain(storage.entries(first, last + 1, Number.MAX_SAFE_INTEGER)) : [],
    snapshot: { metadata: snapshot.metadata, data: new TextDecoder().decode(snapshot.data) },
  };
}

/**
 * One turn of `groups`: each persists `count` entries of `term` after its last one (with a hard
 * state of that term, commit up to its previous last index), all called before any is awaited.
 */
export function persistOneTurn(groups: GroupStorage[], term: number, count = 1): Promise<void[]> {
  return Promise.all(
    groups.map((group) => {
      const first = group.lastIndex() + 1;
      const entries = entriesOf(first, first + count - 1, term);
      return group.persist({ hardState: hardState(term, 1, first - 1), entries });
    }),
  );
}
