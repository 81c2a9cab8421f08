/**
 * Linearizable reads by ReadIndex (§6.4): the leader records its commit index with the
 * request, confirms it is still leader by a round of heartbeats acknowledged by a majority,
 * then hands back (index, context). The caller serves the read once applied >= index.
 * A heartbeat round that confirms a request confirms every older one too, so requests are
 * released in order.
 */
import { assert } from "../../util/assert.ts";
import { majority } from "./quorum.ts";
import type { NodeId, ReadState } from "./types.ts";

interface PendingRead {
  index: number;
  context: Uint8Array;
  key: string;
  acks: Set<NodeId>;
}

function contextKey(context: Uint8Array): string {
  let key = "";
  for (const byte of context) key += byte.toString(16).padStart(2, "0");
  return key;
}

export class ReadOnlyQueue {
  private pending: PendingRead[] = [];

  size(): number {
    return this.pending.length;
  }

  add(index: number, context: Uint8Array, self: NodeId): void {
    const key = contextKey(context);
    assert(!this.pending.some((read) => read.key === key), "readIndex: context already pending");
    this.pending.push({ index, context, key, acks: new Set([self]) });
  }

  hasContext(context: Uint8Array): boolean {
    const key = contextKey(context);
    return this.pending.some((read) => read.key === key);
  }

  /** Context for the next heartbeat round: the newest pending request's. */
  newestContext(): Uint8Array | null {
    return this.pending.length === 0 ? null : this.pending[this.pending.length - 1].context;
  }

  /** A heartbeat reply echoing `context`; returns the reads it releases, oldest first. */
  acknowledge(from: NodeId, context: Uint8Array, voters: NodeId[]): ReadState[] {
    const key = contextKey(context);
    const position = this.pending.findIndex((read) => read.key === key);
    if (position < 0) return [];
    const read = this.pending[position];
    if (voters.includes(from)) read.acks.add(from);
    const voterAcks = voters.filter((voter) => read.acks.has(voter)).length;
    if (voterAcks < majority(voters.length)) return [];
    const released = this.pending.splice(0, position + 1);
    return released.map((done) => ({ index: done.index, context: done.context }));
  }

  /** A single-voter group confirms itself: release everything. */
  releaseAll(): ReadState[] {
    const released = this.pending.splice(0);
    return released.map((done) => ({ index: done.index, context: done.context }));
  }

  clear(): void {
    this.pending = [];
  }
}
