/**
 * A tiny lock-step cluster for unit tests of the Raft core: every node's Ready is persisted
 * to its MemoryStorage, then its messages are queued; `deliverAll` runs until quiet.
 * Filters drop messages to model partitions. (The randomized simulator is in test/sim/.)
 */
import { makeRaftConfig, type RaftConfig, type UnsafeMutations } from "../../src/cluster/raft/config.ts";
import { seededRandom } from "../../src/cluster/raft/random.ts";
import { RawNode } from "../../src/cluster/raft/raw_node.ts";
import { MemoryStorage } from "../../src/cluster/raft/storage.ts";
import type { Entry, Message, NodeId, ReadState } from "../../src/cluster/raft/types.ts";

export type MessageFilter = (message: Message) => boolean;

export class Harness {
  readonly nodes = new Map<NodeId, RawNode>();
  readonly storages = new Map<NodeId, MemoryStorage>();
  readonly applied = new Map<NodeId, Entry[]>();
  readonly readStates = new Map<NodeId, ReadState[]>();
  queue: Message[] = [];
  /** Returns true to drop a message. */
  drop: MessageFilter = () => false;
  readonly sent: Message[] = [];

  constructor(
    ids: NodeId[],
    private readonly overrides: Partial<Omit<RaftConfig, "id">> = {},
    voters: NodeId[] = ids,
    private readonly unsafeMutations: UnsafeMutations = {},
  ) {
    for (const id of ids) {
      const storage = new MemoryStorage({ voters, learners: [] });
      this.storages.set(id, storage);
      this.nodes.set(id, new RawNode(makeRaftConfig(id, overrides), storage, seededRandom(id * 7919), unsafeMutations));
      this.applied.set(id, []);
      this.readStates.set(id, []);
    }
  }

  /** Crash and restart: a new node from what its storage holds; queued messages to it are lost. */
  restart(id: NodeId): void {
    const storage = this.storages.get(id) as MemoryStorage;
    this.queue = this.queue.filter((message) => message.to !== id && message.from !== id);
    this.nodes.set(id, new RawNode(makeRaftConfig(id, this.overrides), storage, seededRandom(id * 7919 + 1), this.unsafeMutations));
    this.applied.set(id, []);
  }

  node(id: NodeId): RawNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /** Persists and collects every node's Ready until none has one. */
  processReadies(): void {
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const [id, node] of this.nodes) {
        if (!node.hasReady()) continue;
        progressed = true;
        const ready = node.ready();
        // A leader's appends and heartbeats leave before its own write (§10.2.1).
        this.queue.push(...ready.messagesBeforePersist);
        this.sent.push(...ready.messagesBeforePersist);
        const storage = this.storages.get(id) as MemoryStorage;
        if (ready.snapshot !== undefined) storage.applySnapshot(ready.snapshot);
        storage.append(ready.entries);
        if (ready.hardState !== undefined) storage.setHardState(ready.hardState);
        const messages = node.advance(ready);
        this.queue.push(...messages);
        this.sent.push(...messages);
        this.applied.get(id)?.push(...ready.committedEntries);
        this.readStates.get(id)?.push(...ready.readStates);
      }
    }
  }

  /** Delivers queued messages (and what they cause) until the cluster is quiet. */
  deliverAll(stepsMax = 10_000): void {
    for (let step = 0; step < stepsMax; step++) {
      this.processReadies();
      const message = this.queue.shift();
      if (message === undefined) return;
      if (this.drop(message)) continue;
      this.nodes.get(message.to)?.step(message);
    }
    throw new Error("cluster did not go quiet");
  }

  /**
   * A leader announces a commit index that no append carried on its second tick after it
   * (announceCommit in role_leader.ts): ticks the leader (by default the first node that thinks
   * it leads) twice and delivers, so every reachable follower knows (and applies) what is committed.
   */
  announceCommit(leader = this.leader()): void {
    if (leader === undefined) throw new Error("no leader to announce the commit index");
    this.tick(leader, 2);
    this.deliverAll();
  }

  tick(id: NodeId, times = 1): void {
    for (let i = 0; i < times; i++) this.node(id).tick();
    this.processReadies();
  }

  /** Ticks one node until it campaigns (sends vote requests), then delivers everything. */
  elect(id: NodeId): void {
    const node = this.node(id);
    const campaigning = () => this.queue.some((message) => message.from === id && (message.type === "vote" || message.type === "preVote"));
    for (let i = 0; i < 100 && !campaigning() && node.status().softState.role !== "leader"; i++) {
      node.tick();
      this.processReadies();
    }
    this.deliverAll();
  }

  leader(): NodeId | undefined {
    for (const [id, node] of this.nodes) if (node.status().softState.role === "leader") return id;
    return undefined;
  }

  appliedData(id: NodeId): string[] {
    return (this.applied.get(id) ?? []).filter((entry) => entry.data.length > 0 && entry.kind === "normal").map((entry) => new TextDecoder().decode(entry.data));
  }
}

export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
