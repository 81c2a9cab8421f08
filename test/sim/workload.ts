/**
 * Clients of the simulated cluster. Each has one request outstanding: a put or a cas on a
 * few keys (through the log, deduplicated by (client, sequence) so retries apply once), or
 * a get (by ReadIndex, §6.4). A request that sees no answer within a timeout is retried at
 * the node believed to be leader. Every finished request lands in the history for the
 * linearizability checker; call time is the first attempt, return time the answer's step.
 */
import { RaftError } from "../../src/cluster/raft/errors.ts";
import type { RandomSource } from "../../src/cluster/raft/random.ts";
import type { KvInput, KvOperation, KvOutput } from "../lincheck/kv_model.ts";
import { encodeCommand } from "./kv_machine.ts";
import type { SimNode } from "./sim_node.ts";

export interface WorkloadShape {
  clients: number;
  keys: number;
  /** Chance per step that an idle client starts a request. */
  requestProbability: number;
  /** Steps without an answer before a client retries elsewhere. */
  retryAfterSteps: number;
  /**
   * Deliberate bug for a mutation check: answer a get from the contacted node's state
   * machine at once, skipping ReadIndex. The linearizability checker must catch it.
   */
  unsafeLocalReads: boolean;
}

interface Outstanding {
  input: KvInput;
  sequence: number;
  call: number;
  node: number;
  sentAt: number;
  /** Context of the pending read at `node`; undefined for writes. */
  readContext: string | undefined;
  attempt: number;
}

const encoder = new TextEncoder();
/** Request mix: 40% gets, 30% puts, 30% compare-and-sets. */
const getShare = 0.4;
const putShare = 0.3;
/** A cas expects "absent" this often, otherwise one of the last few values written. */
const casExpectsAbsentShare = 0.3;
const casRecentValuesCount = 3;
/** Routing: cached leader first, else the current leader, else a random node. */
const useCachedLeaderShare = 0.6;
const useCurrentLeaderShare = 0.3;

export class Workload {
  readonly history: KvOperation[] = [];
  private readonly outstanding = new Map<number, Outstanding>();
  private readonly sequences = new Map<number, number>();
  private valueCounter = 0;
  private readonly cachedLeader = new Map<number, number>();
  accepting = true;

  constructor(
    private readonly shape: WorkloadShape,
    private readonly random: RandomSource,
  ) {}

  pendingCount(): number {
    return this.outstanding.size;
  }

  /** Starts and retries requests; `leaderGuess` routes like a client's cached leader. */
  act(now: number, nodes: SimNode[], leaderGuess: () => SimNode | undefined): void {
    for (let client = 1; client <= this.shape.clients; client++) {
      const current = this.outstanding.get(client);
      if (current === undefined) {
        if (this.accepting && this.random() < this.shape.requestProbability) this.begin(client, now);
        continue;
      }
      if (current.node === 0 || now - current.sentAt >= this.shape.retryAfterSteps) this.submit(client, current, now, nodes, leaderGuess);
    }
  }

  private begin(client: number, now: number): void {
    const sequence = (this.sequences.get(client) ?? 0) + 1;
    this.sequences.set(client, sequence);
    const key = `k${Math.floor(this.random() * this.shape.keys)}`;
    const value = `v${++this.valueCounter}`;
    const roll = this.random();
    let input: KvInput;
    if (roll < getShare) input = { kind: "get", key };
    else if (roll < getShare + putShare) input = { kind: "put", key, value };
    else input = { kind: "cas", key, expected: this.recentValueOrAbsent(), value };
    this.outstanding.set(client, { input, sequence, call: now, node: 0, sentAt: now, readContext: undefined, attempt: 0 });
  }

  /**
   * Picks a node as a real client would: its cached leader while that keeps answering,
   * otherwise (and now and then anyway) the current leader or a random node. A stale cache
   * sends requests to a deposed or isolated leader, which is where conflicting entries arise.
   */
  private recentValueOrAbsent(): string | null {
    if (this.random() < casExpectsAbsentShare) return null;
    return `v${Math.max(1, this.valueCounter - 1 - Math.floor(this.random() * casRecentValuesCount))}`;
  }

  private submit(client: number, request: Outstanding, now: number, nodes: SimNode[], leaderGuess: () => SimNode | undefined): void {
    const upNodes = nodes.filter((node) => node.up);
    const cached = nodes.find((node) => node.id === this.cachedLeader.get(client));
    const roll = this.random();
    let target = roll < useCachedLeaderShare && cached?.up ? cached : roll < useCachedLeaderShare + useCurrentLeaderShare ? leaderGuess() : undefined;
    target ??= upNodes[Math.floor(this.random() * upNodes.length)];
    if (target !== undefined) this.cachedLeader.set(client, target.id);
    request.sentAt = now;
    request.attempt++;
    request.node = 0;
    if (target === undefined || !target.up) return;
    try {
      if (request.input.kind === "get" && this.shape.unsafeLocalReads) {
        this.finish(client, request, { kind: "get", value: target.machine?.get(request.input.key) ?? null }, now);
        return;
      }
      if (request.input.kind === "get") {
        const context = `${client}:${request.sequence}:${request.attempt}`;
        target.node().readIndex(encoder.encode(context));
        request.readContext = context;
      } else {
        target.node().propose(encodeCommand({ client, sequence: request.sequence, input: request.input }));
      }
      request.node = target.id;
    } catch (error) {
      if (!(error instanceof RaftError)) throw error;
    }
  }

  /** `node` applied the write (client, sequence) with this output. */
  onWriteApplied(node: SimNode, client: number, sequence: number, output: KvOutput, now: number): void {
    const request = this.outstanding.get(client);
    if (request === undefined || request.sequence !== sequence || request.node !== node.id) return;
    this.finish(client, request, output, now);
  }

  /** Serves reads at `node` whose read index it has applied. */
  serveReads(node: SimNode, now: number): void {
    if (!node.up || node.pendingReads.length === 0) return;
    const applied = node.node().status().applied;
    const stillWaiting = [];
    for (const readState of node.pendingReads) {
      if (readState.index > applied) {
        stillWaiting.push(readState);
        continue;
      }
      const [client] = new TextDecoder().decode(readState.context).split(":").map(Number);
      const request = this.outstanding.get(client);
      const context = new TextDecoder().decode(readState.context);
      if (request === undefined || request.readContext !== context || request.node !== node.id) continue;
      const key = (request.input as { key: string }).key;
      this.finish(client, request, { kind: "get", value: node.machine?.get(key) ?? null }, now);
    }
    node.pendingReads = stillWaiting;
  }

  private finish(client: number, request: Outstanding, output: KvOutput, now: number): void {
    this.history.push({ clientId: client, input: request.input, output, call: request.call, return: now });
    this.outstanding.delete(client);
  }

  /** Requests that never got an answer, as pending operations (may or may not have happened). */
  pendingOperations(): KvOperation[] {
    return [...this.outstanding.entries()].map(([client, request]) => ({
      clientId: client,
      input: request.input,
      output: undefined,
      call: request.call,
      return: Infinity,
    }));
  }
}
