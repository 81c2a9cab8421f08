/**
 * The simulated network: each message gets a random delay (so messages reorder), may be
 * dropped or duplicated, and is lost when its link is blocked at delivery time. Links are
 * blocked one direction at a time, which models symmetric, asymmetric and leader-isolating
 * partitions alike. It carries Raft messages between the nodes of one group (world.ts), or any
 * packet naming its sending and receiving node (the many-group world's, multi_world.ts).
 */
import type { RandomSource } from "../../src/cluster/raft/random.ts";
import type { Message, NodeId } from "../../src/cluster/raft/types.ts";

export interface NetworkFaults {
  dropProbability: number;
  duplicateProbability: number;
  /** Delivery after 1..delayStepsMax steps. */
  delayStepsMax: number;
}

export const reliableNetwork: NetworkFaults = { dropProbability: 0, duplicateProbability: 0, delayStepsMax: 2 };

/** What the network carries: it reads only who sends, who receives, and a type to count. */
interface Packet {
  from: NodeId;
  to: NodeId;
  type: string;
}

interface InFlight<Item> {
  deliverAt: number;
  order: number;
  message: Item;
}

export class SimNetwork<Item extends Packet = Message> {
  faults: NetworkFaults = reliableNetwork;
  private inFlight: InFlight<Item>[] = [];
  private readonly blocked = new Set<string>();
  private order = 0;
  delivered = 0;
  dropped = 0;
  /** Delivered messages by type: shows which protocol paths a seed exercised. */
  readonly deliveredByType = new Map<string, number>();

  constructor(private readonly random: RandomSource) {}

  send(message: Item, now: number): void {
    if (this.random() < this.faults.dropProbability) {
      this.dropped++;
      return;
    }
    const copies = this.random() < this.faults.duplicateProbability ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      const delay = 1 + Math.floor(this.random() * this.faults.delayStepsMax);
      this.inFlight.push({ deliverAt: now + delay, order: this.order++, message });
    }
  }

  /** Messages due by `now`, in delivery order; blocked links swallow theirs. */
  due(now: number): Item[] {
    const ready = this.inFlight.filter((item) => item.deliverAt <= now);
    if (ready.length === 0) return [];
    this.inFlight = this.inFlight.filter((item) => item.deliverAt > now);
    ready.sort((left, right) => left.deliverAt - right.deliverAt || left.order - right.order);
    const result: Item[] = [];
    for (const item of ready) {
      if (this.isBlocked(item.message.from, item.message.to)) {
        this.dropped++;
        continue;
      }
      this.delivered++;
      this.deliveredByType.set(item.message.type, (this.deliveredByType.get(item.message.type) ?? 0) + 1);
      result.push(item.message);
    }
    return result;
  }

  isBlocked(from: NodeId, to: NodeId): boolean {
    return this.blocked.has(`${from}>${to}`);
  }

  block(from: NodeId, to: NodeId): void {
    this.blocked.add(`${from}>${to}`);
  }

  /** Cuts every link between the two sides, both directions. */
  partition(sideA: NodeId[], sideB: NodeId[]): void {
    for (const a of sideA) {
      for (const b of sideB) {
        this.block(a, b);
        this.block(b, a);
      }
    }
  }

  healAll(): void {
    this.blocked.clear();
  }

  hasPartitions(): boolean {
    return this.blocked.size > 0;
  }

  pendingCount(): number {
    return this.inFlight.length;
  }
}
