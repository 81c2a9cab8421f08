/**
 * What the acknowledgements of the crash workload (group_workload.ts) promise of each group, and
 * the check of a reopened shared log against it: every acknowledged hard state, committed entry
 * and snapshot is there.
 */
import { expect } from "bun:test";
import type { SharedLog } from "../../../src/cluster/wal/shared_log.ts";
import { type Acknowledgement, entryData } from "./group_workload.ts";

const decoder = new TextDecoder();

interface GroupModel {
  term: number;
  vote: number;
  commit: number;
  snapshotIndex: number;
  /** Term of each index as last acknowledged. */
  termByIndex: Map<number, number>;
}

/** What the acknowledgements promise of each group, and the check of a reopened log against it. */
export class AcknowledgedGroups {
  private readonly groups = new Map<number, GroupModel>();

  add(acknowledgement: Acknowledgement): void {
    let model = this.groups.get(acknowledgement.groupId);
    if (model === undefined) {
      model = { term: 0, vote: 0, commit: 0, snapshotIndex: 0, termByIndex: new Map() };
      this.groups.set(acknowledgement.groupId, model);
    }
    if (acknowledgement.kind === "compact") {
      model.snapshotIndex = Math.max(model.snapshotIndex, acknowledgement.snapshotIndex);
      return;
    }
    const { hardState, first, last } = acknowledgement;
    for (const index of [...model.termByIndex.keys()]) if (index >= first) model.termByIndex.delete(index);
    for (let index = first; index <= last; index++) model.termByIndex.set(index, hardState.term);
    if (hardState.term > model.term) model.vote = hardState.vote;
    model.term = Math.max(model.term, hardState.term);
    model.commit = Math.max(model.commit, hardState.commit);
  }

  count(): number {
    return this.groups.size;
  }

  /**
   * Every acknowledged hard state, committed entry and snapshot is in the reopened log. With
   * `adoptUnacknowledged`, entries it holds past the commit become the model's (the next round
   * of a process that was killed starts from them).
   */
  async check(wal: SharedLog, adoptUnacknowledged: boolean): Promise<void> {
    for (const [groupId, model] of this.groups) {
      const group = await wal.openGroup(groupId);
      const { hardState } = group.initialState();
      expect(hardState.term).toBeGreaterThanOrEqual(model.term);
      if (hardState.term === model.term) expect(hardState.vote).toBe(model.vote);
      expect(hardState.commit).toBeGreaterThanOrEqual(model.commit);
      expect(group.snapshot().metadata.index).toBeGreaterThanOrEqual(model.snapshotIndex);
      const first = group.firstIndex();
      const all = Number.MAX_SAFE_INTEGER;
      for (const entry of first <= model.commit ? group.entries(first, model.commit + 1, all) : []) {
        expect(decoder.decode(entry.data)).toBe(entryData(groupId, entry.index, model.termByIndex.get(entry.index)!));
      }
      if (adoptUnacknowledged && group.lastIndex() > model.commit) {
        const unacknowledged = group.entries(Math.max(first, model.commit + 1), group.lastIndex() + 1, all);
        for (const entry of unacknowledged) model.termByIndex.set(entry.index, entry.term);
      }
      await group.close();
    }
  }
}
