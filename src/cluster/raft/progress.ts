/**
 * The leader's view of one follower's log (§3.5, §10.2.1 flow control):
 * - probe: next is a guess; one append at a time until a reply shows where logs match.
 * - replicate: logs match up to `match`; appends are pipelined, at most inflightAppendsMax.
 * - snapshot: the follower is behind the compacted log; a snapshot is being sent in chunks.
 */
import { assert } from "../../util/assert.ts";
import type { Snapshot } from "./types.ts";

type ProgressState = "probe" | "replicate" | "snapshot";

/** Last indexes of appends sent but not acknowledged, oldest first, bounded. */
export class Inflights {
  private readonly lastIndexes: number[] = [];
  constructor(private readonly capacity: number) {}

  add(lastIndex: number): void {
    assert(!this.full(), "inflights: add while full");
    this.lastIndexes.push(lastIndex);
  }

  /** The follower acknowledged up to `index`: every append ending there or earlier is done. */
  freeTo(index: number): void {
    let freed = 0;
    while (freed < this.lastIndexes.length && this.lastIndexes[freed] <= index) freed++;
    this.lastIndexes.splice(0, freed);
  }

  full(): boolean {
    return this.lastIndexes.length >= this.capacity;
  }

  count(): number {
    return this.lastIndexes.length;
  }

  reset(): void {
    this.lastIndexes.length = 0;
  }
}

/** A snapshot being streamed to one follower: `ackedBytes` is the offset to send next. */
interface SnapshotTransfer {
  snapshot: Snapshot;
  ackedBytes: number;
  /** A chunk is on the wire; cleared on its reply or on a heartbeat reply (then resent). */
  chunkInFlight: boolean;
}

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = "probe";
  /** In probe state: an append was sent and we wait for a reply or a heartbeat reply. */
  probeSent = false;
  /** Heard from since the last check-quorum round (§6.2). */
  recentActive = false;
  /** The highest commit index sent to this follower (in an append or a heartbeat). */
  sentCommit = 0;
  isLearner: boolean;
  readonly inflights: Inflights;
  snapshotTransfer: SnapshotTransfer | undefined = undefined;
  /** Heartbeat replies in a row, in the replicate state, during which match did not move. */
  stalledHeartbeats = 0;
  private matchAtLastHeartbeat = 0;

  constructor(next: number, isLearner: boolean, inflightAppendsMax: number) {
    this.next = next;
    this.isLearner = isLearner;
    this.inflights = new Inflights(inflightAppendsMax);
  }

  becomeProbe(): void {
    if (this.state === "snapshot") {
      const snapshotIndex = this.snapshotTransfer?.snapshot.metadata.index ?? 0;
      this.next = Math.max(this.match + 1, snapshotIndex + 1);
    } else {
      this.next = this.match + 1;
    }
    this.resetState("probe");
  }

  becomeReplicate(): void {
    this.next = this.match + 1;
    this.resetState("replicate");
  }

  becomeSnapshot(snapshot: Snapshot): void {
    this.resetState("snapshot");
    this.snapshotTransfer = { snapshot, ackedBytes: 0, chunkInFlight: false };
  }

  /** Counts a heartbeat reply; returns whether the replicate pipeline looks lost. */
  heartbeatShowsStall(stallHeartbeatsMax: number): boolean {
    const stalled = this.state === "replicate" && this.inflights.count() > 0 && this.match === this.matchAtLastHeartbeat;
    this.matchAtLastHeartbeat = this.match;
    this.stalledHeartbeats = stalled ? this.stalledHeartbeats + 1 : 0;
    return this.stalledHeartbeats >= stallHeartbeatsMax;
  }

  private resetState(state: ProgressState): void {
    this.stalledHeartbeats = 0;
    this.state = state;
    this.probeSent = false;
    this.snapshotTransfer = undefined;
    this.inflights.reset();
  }

  /** A success reply up to `index`; returns whether it taught us anything new. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (index > this.match) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /**
   * A reject of the append whose prevIndex was `rejected`; `matchHint` is where the logs
   * may match. Returns false when the reject is stale (an older append's reply).
   */
  maybeDecreaseTo(rejected: number, matchHint: number): boolean {
    if (this.state === "replicate") {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  /** Whether the leader should hold further appends to this follower for now. */
  isPaused(): boolean {
    switch (this.state) {
      case "probe":
        return this.probeSent;
      case "replicate":
        return this.inflights.full();
      case "snapshot":
        return true;
    }
  }

  /** Bookkeeping after sending entries up to `lastIndex` (or a probe with none). */
  sentEntries(lastIndex: number, entryCount: number): void {
    if (this.state === "replicate") {
      if (entryCount > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex);
      }
    } else if (this.state === "probe") {
      this.probeSent = true;
    }
  }
}
