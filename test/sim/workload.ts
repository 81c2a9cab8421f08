/**
 * Clients of the simulated cluster, speaking to the real driver as the service does. Each has
 * one request outstanding: a put or a cas on a few keys (driver.propose, deduplicated by
 * (client, sequence) in the machine so retries apply once), or a get (driver.readBarrier, then a
 * read of that node's machine, §6.4). A request refused (not the leader, its deadline passed on
 * the node's clock, ...) is retried at once, one with no answer after a while elsewhere: at the
 * node believed to be leader. Every finished request lands in the history for the
 * linearizability checker; call time is the first attempt, return time the answer's step.
 */
import type { RandomSource } from "../../src/cluster/raft/random.ts";
import type { KvInput, KvOperation, KvOutput } from "../lincheck/kv_model.ts";
import { encodeCommand, type KvMachine } from "./kv_machine.ts";
import { simTickIntervalMs } from "./sim_node.ts";

/**
 * A replica clients can reach: a node of world.ts (SimNode), or one group's replica on a node of
 * the many-group world (multi_world.ts).
 */
export interface ClientTarget {
  readonly id: number;
  readonly up: boolean;
  readonly machine: KvMachine | undefined;
  readonly clock: { now(): number };
  replica(): {
    propose(data: Uint8Array, deadlineAtMs: number): Promise<KvOutput | undefined>;
    readBarrier(deadlineAtMs: number): Promise<void>;
  };
}

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
  attempt: number;
}

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
  /** The current step: answers that arrive during it return at it. */
  private now = 0;
  accepting = true;

  constructor(
    private readonly shape: WorkloadShape,
    private readonly random: RandomSource,
  ) {}

  pendingCount(): number {
    return this.outstanding.size;
  }

  /** Starts and retries requests; `leaderGuess` routes like a client's cached leader. */
  act(now: number, nodes: ClientTarget[], leaderGuess: () => ClientTarget | undefined): void {
    this.now = now;
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
    this.outstanding.set(client, { input, sequence, call: now, node: 0, sentAt: now, attempt: 0 });
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

  private submit(client: number, request: Outstanding, now: number, nodes: ClientTarget[], leaderGuess: () => ClientTarget | undefined): void {
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
    const input = request.input;
    const machine = target.machine!;
    if (input.kind === "get" && this.shape.unsafeLocalReads) {
      this.finish(client, request, { kind: "get", value: machine.get(input.key) });
      return;
    }
    request.node = target.id;
    const driver = target.replica();
    // The deadline is on the node's own clock: a slow node's requests time out later.
    const deadlineAtMs = target.clock.now() + this.shape.retryAfterSteps * simTickIntervalMs;
    const attempt = request.attempt;
    const refused = () => {
      if (this.outstanding.get(client) === request && request.attempt === attempt) request.node = 0;
    };
    if (input.kind === "get") {
      // Served at the moment the barrier lets it, from that node's machine.
      const read = () => this.finish(client, request, { kind: "get", value: machine.get(input.key) });
      driver.readBarrier(deadlineAtMs).then(read, refused);
      return;
    }
    const written = (output: KvOutput | undefined) => {
      if (output !== undefined) this.finish(client, request, output);
    };
    driver.propose(encodeCommand({ client, sequence: request.sequence, input }), deadlineAtMs).then(written, refused);
  }

  /** An answer from any attempt of the request still outstanding ends it (retries are deduplicated). */
  private finish(client: number, request: Outstanding, output: KvOutput): void {
    if (this.outstanding.get(client) !== request) return;
    this.history.push({ clientId: client, input: request.input, output, call: request.call, return: this.now });
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
