/**
 * Periodic state-machine snapshots and Raft log compaction (§5.1), off the write path:
 * 1. in a loop turn, once `everyEntries` entries were applied since the last snapshot, the
 *    engine's picture is taken (applies wait only for that moment: settle, then the first
 *    chunk of the engine's export), with the session table and member addresses at that index;
 * 2. the rest of the export and an engine checkpoint (the engine's own log runs unsynced: the
 *    checkpoint syncs it, so it is durable through the snapshot before entries are dropped) run
 *    in the background while the loop goes on;
 * 3. a later turn hands the finished snapshot to storage.compact, which keeps a tail of
 *    `entriesKept` entries for slightly slow followers.
 */
import { Encoder } from "@msgpack/msgpack";
import type { RawNode } from "./raft/raw_node.ts";
import type { ReplicatedStateMachine } from "./state_machine.ts";
import { memberTuples } from "./state_machine_snapshot.ts";
import type { DurableRaftStorage } from "./storage/types.ts";

/** Matches state_machine_snapshot.ts, which decodes what is built here. */
const formatVersion = 1;

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
    private readonly machine: ReplicatedStateMachine,
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
    await this.machine.settle();
    const index = this.machine.appliedIndex;
    const sessions = this.machine.sessions.encode();
    const members = memberTuples(this.machine.members);
    const chunks = this.machine.engine.exportSnapshot()[Symbol.asyncIterator]();
    const first = await chunks.next(); // the engine's picture is taken here, at `index`
    this.running = this.finish(index, first.done ? [] : [first.value.slice()], chunks, sessions, members).finally(() => {
      this.running = null;
    });
    return compacted;
  }

  /** Waits for a background snapshot (at close, so the engine is not closed under it). */
  async drain(): Promise<void> {
    await this.running;
  }

  private async finish(index: number, chunks: Uint8Array[], rest: AsyncIterator<Uint8Array>, sessions: Uint8Array, members: unknown[]): Promise<void> {
    try {
      for (let next = await rest.next(); !next.done; next = await rest.next()) chunks.push(next.value.slice());
      await this.machine.engine.checkpoint();
      this.finished = { index, data: new Encoder().encode([formatVersion, index, chunks, sessions, members]) };
    } catch (error) {
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
