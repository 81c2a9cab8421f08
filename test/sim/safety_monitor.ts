/**
 * Raft's safety properties (Figure 3.2 of the dissertation), checked after every step of
 * the simulation over everything any node has ever persisted, committed or applied:
 * - Election Safety: at most one leader per term.
 * - Log Matching: an (index, term) pair names one entry and one predecessor term everywhere
 *   (by induction: logs agreeing at (index, term) agree on every entry before it).
 * - Leader Completeness: a new leader's log holds every entry committed before it won.
 * - State Machine Safety: no two nodes apply different entries at one index.
 * - Durability: a committed entry is never overwritten in any node's persisted log, and a
 *   restarted node's persisted log agrees with everything committed.
 * A violation throws SafetyViolation naming the property.
 * One monitor watches one group: the nodes of world.ts, or one group's replicas on the nodes of
 * the many-group world (multi_world.ts), each seen as a MonitoredReplica.
 */
import { majority } from "../../src/cluster/raft/quorum.ts";
import type { NodeStatus } from "../../src/cluster/raft/raw_node.ts";
import type { Entry, NodeId } from "../../src/cluster/raft/types.ts";
import type { PersistBatch } from "../../src/cluster/storage/types.ts";
import type { PersistedLog } from "./durable_groups.ts";

/** What the monitor sees of one replica of its group (SimNode is one). */
export interface MonitoredReplica {
  /** Its member id in the group. */
  readonly id: NodeId;
  /** Whether its process runs (a crashed one keeps only `storage`). */
  readonly up: boolean;
  /** What a crash keeps of its log: its persisted log. */
  readonly storage: PersistedLog;
  /** The last index applied to its state machine; the monitor moves it as entries apply. */
  appliedThrough: number;
  replica(): { status(): NodeStatus; termAt(index: number): number | undefined };
}

export class SafetyViolation extends Error {
  override name = "SafetyViolation";
}

interface EntryFact {
  contentKey: string;
  previousTerm: number | undefined;
}

export function contentKey(entry: Entry): string {
  return `${entry.kind}:${Bun.hash(entry.data).toString(36)}:${entry.data.length}`;
}

export class SafetyMonitor {
  private readonly leaderOfTerm = new Map<number, NodeId>();
  private readonly entryFacts = new Map<string, EntryFact>();
  /** index -> "term/contentKey" of the entry committed there. */
  readonly committed = new Map<number, string>();
  highestCommitted = 0;
  private readonly applied = new Map<number, string>();
  private readonly leadersChecked = new Set<string>();
  private readonly commitSeen = new Map<NodeId, number>();
  checks = 0;
  /** Newest index seen committed by a leader, and the majority size it was counted with. */
  private quorumIndex = 0;
  private quorumSize = 0;

  /**
   * Before a Ready's entries replace the tail of `node`'s persisted log from entries[0].index:
   * no entry it holds that matches a committed one may be replaced by something else.
   */
  beforePersist(node: MonitoredReplica, ready: PersistBatch): void {
    if (ready.entries.length === 0) return;
    const storage = node.storage;
    const from = Math.max(ready.entries[0].index, storage.firstIndex());
    const upTo = Math.min(storage.lastIndex(), this.highestCommitted);
    for (let index = from; index <= upTo; index++) {
      const committedAs = this.committed.get(index);
      if (committedAs === undefined || !committedAs.startsWith(`${storage.term(index)}/`)) continue;
      const replacement = ready.entries[index - ready.entries[0].index];
      const key = replacement === undefined ? "nothing" : `${replacement.term}/${contentKey(replacement)}`;
      if (key !== committedAs) this.fail("Durability", `node ${node.id} overwrote committed entry ${index} (${committedAs}) with ${key}`);
    }
  }

  /**
   * A Ready's entries are now in `node`'s persisted log: register them (Log Matching). The
   * previous term comes from that persisted log, not the node's memory: during a slow write
   * the node may already hold a newer, conflicting tail that the next Ready will write.
   */
  onPersisted(node: MonitoredReplica, ready: PersistBatch): void {
    const storage = node.storage;
    for (const entry of ready.entries) {
      const previousIndex = entry.index - 1;
      const previousHeld = previousIndex >= storage.firstIndex() - 1 && previousIndex <= storage.lastIndex();
      this.registerEntry(node.id, entry, previousHeld ? storage.term(previousIndex) : undefined);
    }
  }

  private registerEntry(node: NodeId, entry: Entry, previousTerm: number | undefined): void {
    const id = `${entry.index}/${entry.term}`;
    const fact = { contentKey: contentKey(entry), previousTerm };
    const known = this.entryFacts.get(id);
    if (known === undefined) {
      this.entryFacts.set(id, fact);
      return;
    }
    if (known.contentKey !== fact.contentKey) {
      this.fail("Log Matching", `entry ${id} differs between nodes (node ${node} has ${fact.contentKey}, seen ${known.contentKey})`);
    }
    const bothKnown = known.previousTerm !== undefined && fact.previousTerm !== undefined;
    if (bothKnown && known.previousTerm !== fact.previousTerm) {
      this.fail("Log Matching", `entry ${id} follows term ${fact.previousTerm} on node ${node} but ${known.previousTerm} elsewhere`);
    }
    if (known.previousTerm === undefined) known.previousTerm = fact.previousTerm;
  }

  onApplied(node: MonitoredReplica, entry: Entry): void {
    // Each entry applied once, in log order, on every node (a driver applying some early must not skip or repeat).
    if (entry.index !== node.appliedThrough + 1) {
      this.fail("State Machine Safety", `node ${node.id} applied entry ${entry.index} after ${node.appliedThrough}`);
    }
    node.appliedThrough = entry.index;
    const key = `${entry.term}/${contentKey(entry)}`;
    const known = this.applied.get(entry.index);
    if (known === undefined) this.applied.set(entry.index, key);
    else if (known !== key) {
      this.fail("State Machine Safety", `node ${node.id} applied ${key} at ${entry.index}, another node applied ${known}`);
    }
  }

  /** After each step: leaders, newly committed entries, new leaders' logs, durability. */
  checkStep(nodes: Iterable<MonitoredReplica>): void {
    this.checks++;
    const allNodes = [...nodes];
    const upNodes = allNodes.filter((node) => node.up);
    for (const node of upNodes) this.checkCommitted(node);
    for (const node of upNodes) this.checkLeader(node);
    this.checkNewestCommitPersisted(allNodes);
  }

  /**
   * The newest entry a leader committed stays persisted on at least a majority of the voters
   * it was counted among, crashed nodes included: crashes may lose only unpersisted state.
   */
  private checkNewestCommitPersisted(nodes: MonitoredReplica[]): void {
    if (this.quorumIndex === 0) return;
    const key = this.committed.get(this.quorumIndex) as string;
    const term = Number(key.split("/")[0]);
    let holders = 0;
    for (const node of nodes) {
      const storage = node.storage;
      if (storage.snapshot().metadata.index >= this.quorumIndex) holders++;
      else if (storage.lastIndex() >= this.quorumIndex && storage.firstIndex() <= this.quorumIndex && storage.term(this.quorumIndex) === term) holders++;
    }
    if (holders < this.quorumSize) {
      this.fail("Durability", `committed entry ${this.quorumIndex} (${key}) is persisted on ${holders} nodes, fewer than its quorum ${this.quorumSize}`);
    }
  }

  private checkLeader(node: MonitoredReplica): void {
    const status = node.replica().status();
    if (status.softState.role !== "leader") return;
    const leader = this.leaderOfTerm.get(status.term);
    if (leader !== undefined && leader !== node.id) {
      this.fail("Election Safety", `nodes ${leader} and ${node.id} are both leaders of term ${status.term}`);
    }
    this.leaderOfTerm.set(status.term, node.id);
    const checkKey = `${node.id}/${status.term}`;
    if (this.leadersChecked.has(checkKey)) return;
    this.leadersChecked.add(checkKey);
    for (const [index, key] of this.committed) {
      if (index < status.firstIndex) continue;
      const term = node.replica().termAt(index);
      if (term === undefined || `${term}` !== key.split("/")[0]) {
        this.fail("Leader Completeness", `leader ${node.id} of term ${status.term} lacks committed entry ${index} (${key}), has term ${term}`);
      }
    }
  }

  /** A node is about to crash: what it knew was committed was committed. */
  recordCommitted(node: MonitoredReplica): void {
    if (node.up) this.checkCommitted(node);
  }

  /** Records entries newly committed on `node` and checks they agree with earlier commits. */
  private checkCommitted(node: MonitoredReplica): void {
    const raw = node.replica();
    const commit = raw.status().commit;
    const firstIndex = raw.status().firstIndex;
    const from = Math.max(this.commitSeen.get(node.id) ?? 0, firstIndex - 1) + 1;
    for (let index = from; index <= commit; index++) {
      const term = raw.termAt(index);
      if (term === undefined) continue;
      const fact = this.findFact(index, term);
      const key = `${term}/${fact}`;
      const known = this.committed.get(index);
      if (known === undefined) this.committed.set(index, key);
      else if (known !== key) this.fail("State Machine Safety", `node ${node.id} committed ${key} at ${index}, earlier ${known}`);
    }
    const status = raw.status();
    if (status.softState.role === "leader" && commit > this.quorumIndex && this.committed.has(commit)) {
      this.quorumIndex = commit;
      this.quorumSize = majority(status.confState.voters.length);
    }
    this.commitSeen.set(node.id, Math.max(this.commitSeen.get(node.id) ?? 0, commit));
    this.highestCommitted = Math.max(this.highestCommitted, commit);
  }

  private findFact(index: number, term: number): string {
    return this.entryFacts.get(`${index}/${term}`)?.contentKey ?? "unpersisted";
  }

  /** A node restarted: what it persisted as committed must agree with everything committed. */
  onRestart(node: MonitoredReplica): void {
    this.commitSeen.set(node.id, 0);
    const storage = node.storage;
    const persistedCommit = storage.initialState().hardState.commit;
    if (persistedCommit > storage.lastIndex()) {
      this.fail("Durability", `node ${node.id} restarted with commit ${persistedCommit} beyond its log end ${storage.lastIndex()}`);
    }
    const upTo = Math.min(persistedCommit, this.highestCommitted);
    for (let index = storage.firstIndex(); index <= upTo; index++) {
      const known = this.committed.get(index);
      if (known === undefined) continue;
      const term = storage.term(index);
      if (`${term}` !== known.split("/")[0]) {
        this.fail("Durability", `node ${node.id} restarted with term ${term} at committed index ${index} (${known})`);
      }
    }
  }

  private fail(property: string, detail: string): never {
    throw new SafetyViolation(`${property}: ${detail}`);
  }
}
