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
 */
import type { Ready } from "../../src/cluster/raft/raw_node.ts";
import type { Entry, NodeId } from "../../src/cluster/raft/types.ts";
import type { SimNode } from "./sim_node.ts";

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

  /** A Ready's entries are now in `node`'s log: register them (Log Matching, Durability). */
  onPersisted(node: SimNode, ready: Ready): void {
    for (const entry of ready.entries) {
      if (entry.index <= this.highestCommitted) {
        const committedAs = this.committed.get(entry.index);
        const key = `${entry.term}/${contentKey(entry)}`;
        if (committedAs !== undefined && committedAs !== key) {
          this.fail("Durability", `node ${node.id} overwrote committed entry ${entry.index} (${committedAs}) with ${key}`);
        }
      }
      const previousTerm = node.raw?.termAt(entry.index - 1);
      this.registerEntry(node.id, entry, previousTerm);
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

  onApplied(node: SimNode, entry: Entry): void {
    const key = `${entry.term}/${contentKey(entry)}`;
    const known = this.applied.get(entry.index);
    if (known === undefined) this.applied.set(entry.index, key);
    else if (known !== key) {
      this.fail("State Machine Safety", `node ${node.id} applied ${key} at ${entry.index}, another node applied ${known}`);
    }
  }

  /** After each step: leaders, newly committed entries, and new leaders' logs. */
  checkStep(nodes: Iterable<SimNode>): void {
    this.checks++;
    const upNodes = [...nodes].filter((node) => node.up);
    for (const node of upNodes) this.checkCommitted(node);
    for (const node of upNodes) this.checkLeader(node);
  }

  private checkLeader(node: SimNode): void {
    const status = node.node().status();
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
      const term = node.node().termAt(index);
      if (term === undefined || `${term}` !== key.split("/")[0]) {
        this.fail("Leader Completeness", `leader ${node.id} of term ${status.term} lacks committed entry ${index} (${key}), has term ${term}`);
      }
    }
  }

  /** Records entries newly committed on `node` and checks they agree with earlier commits. */
  private checkCommitted(node: SimNode): void {
    const raw = node.node();
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
    this.commitSeen.set(node.id, Math.max(this.commitSeen.get(node.id) ?? 0, commit));
    this.highestCommitted = Math.max(this.highestCommitted, commit);
  }

  private findFact(index: number, term: number): string {
    return this.entryFacts.get(`${index}/${term}`)?.contentKey ?? "unpersisted";
  }

  /** A node restarted: what it persisted must agree with everything committed. */
  onRestart(node: SimNode): void {
    this.commitSeen.set(node.id, 0);
    const storage = node.storage;
    const upTo = Math.min(storage.lastIndex(), this.highestCommitted);
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
