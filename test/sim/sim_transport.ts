/**
 * The real driver's PeerTransport in the simulation: what the driver sends during a step waits
 * in an outbox (the process's send buffers) until the world hands it to the simulated network
 * (network.ts) at the end of the step, or until a crash either loses it with the process or lets
 * it out first. Messages the network delivers reach the driver's handler at once. Refusals are
 * never generated (the simulated network knows no membership), so the peer list is ignored.
 */
import type { Message, NodeId } from "../../src/cluster/raft/types.ts";
import type { PeerRefusal, PeerTransport, PeerTransportStats } from "../../src/cluster/transport/types.ts";
import { PeerCounters } from "../../src/cluster/transport/peer_stats.ts";
import type { SimNetwork } from "./network.ts";

export class SimTransport implements PeerTransport {
  private outbox: Message[] = [];
  private handler: (message: Message) => void = () => {};
  private closed = false;
  private readonly counters = new PeerCounters();

  constructor(readonly nodeId: NodeId) {}

  send(messages: readonly Message[]): void {
    if (this.closed) return;
    for (const message of messages) this.outbox.push(message);
  }

  onMessage(handler: (message: Message) => void): void {
    this.handler = handler;
  }

  onRefused(_handler: (refusal: PeerRefusal) => void): void {}

  setPeers(): void {}

  async close(): Promise<void> {
    this.closed = true;
    this.outbox = [];
  }

  stats(): PeerTransportStats {
    return this.counters.snapshot({});
  }

  /** The network delivers a message to this node. */
  deliver(message: Message): void {
    if (this.closed) return;
    this.counters.messagesReceived++;
    this.handler(message);
  }

  /** Hands what was sent this step to the network (at step `now`). */
  flush(network: SimNetwork, now: number): void {
    for (const message of this.outbox) {
      this.counters.messagesSent++;
      network.send(message, now);
    }
    this.outbox = [];
  }

  /** The process died: nothing more goes out or comes in. */
  kill(): void {
    this.closed = true;
    this.outbox = [];
  }
}
