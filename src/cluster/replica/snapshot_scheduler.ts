/**
 * Periodic state-machine snapshots and Raft log compaction (§5.1), off the write path:
 * 1. in a loop turn, once `everyEntries` entries were applied since the last snapshot, the
 *    machine takes its picture (machine.snapshot(): applies wait only for that moment);
 * 2. the machine finishes the snapshot's bytes in the background while the loop goes on (the
 *    key-value machine exports the rest of the engine and checkpoints it, so the engine is
 *    durable through the snapshot before Raft drops the entries behind it);
 * 3. a later turn hands the finished snapshot to storage.compact, which keeps a tail of
 *    `entriesKept` entries for slightly slow followers.
 */
import type { RawNode } from "../raft/raw_node.ts";
import type { DurableRaftStorage } from "../storage/types.ts";
import type { MachineSnapshot, ReplicatedMachine } from "./replicated_machine.ts";

interface FinishedSnapshot {
  index: number;
  data: Uint8Array;
}

export class SnapshotScheduler {
  private lastIndex: number;
  private running: Promise<void> | null = null;
  private finished: FinishedSnapshot | null = null;
  /** The last background failure; the next interval tries again. */
  lastError: Error | null = null;

  constructor(
    private readonly machine: ReplicatedMachine<unknown>,
    private readonly storage: DurableRaftStorage,
    private readonly everyEntries: number,
    private readonly entriesKept: number,
    /** Told of a background failure (for the log). */
    private readonly onFailure: (error: Error) => void = () => {},
  ) {
    this.lastIndex = storage.snapshot().metadata.index;
  }

  /** A snapshot was installed from the leader: it counts as the latest. */
  installed(index: number): void {
    this.lastIndex = Math.max(this.lastIndex, index);
  }

  /** Called once per loop turn, between Ready batches. Returns true when it compacted. */
  async onTurn(node: RawNode): Promise<boolean> {
    const compacted = await this.compactFinished(node);
    const applied = this.machine.appliedIndex;
    if (this.running !== null || applied - this.lastIndex < this.everyEntries || applied > this.storage.lastIndex()) return compacted;
    this.lastIndex = applied;
    // A failure to take the picture fails the turn (and the replica), as an apply would.
    const taken = await this.machine.snapshot();
    this.running = this.finish(taken).finally(() => {
      this.running = null;
    });
    return compacted;
  }

  /** Waits for a background snapshot (at close, so the engine is not closed under it). */
  async drain(): Promise<void> {
    await this.running;
  }

  private async finish(taken: MachineSnapshot): Promise<void> {
    try {
      this.finished = { index: taken.index, data: await taken.data };
    } catch (error) {
      // The next turn past the interval tries again.
      this.lastError = error instanceof Error ? error : new Error(String(error));
      this.lastIndex = this.storage.snapshot().metadata.index;
      this.onFailure(this.lastError);
    }
  }

  private async compactFinished(node: RawNode): Promise<boolean> {
    const finished = this.finished;
    if (finished === null) return false;
    this.finished = null;
    // A snapshot installed from the leader meanwhile may already cover (and have replaced) this one.
    if (finished.index <= this.storage.snapshot().metadata.index || finished.index < this.storage.firstIndex() - 1) return false;
    const metadata = { index: finished.index, term: this.storage.term(finished.index), confState: node.confStateAt(finished.index) };
    await this.storage.compact(Math.max(0, finished.index - this.entriesKept), { metadata, data: finished.data });
    return true;
  }
}
