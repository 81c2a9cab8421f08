/**
 * Node heartbeats (node liveness) on both node transports: they reach the receiver with their
 * flag, in order with the messages sent to the same node, counted apart from messages; one to a
 * node not talked to is dropped and counted. Through a group multiplexer they feed its
 * NodeLiveness, which heartbeats exactly the nodes its groups need.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { NodeLiveness } from "../../../src/cluster/health/node_liveness.ts";
import type { Message, NodeId } from "../../../src/cluster/raft/types.ts";
import { SharedTickScheduler } from "../../../src/cluster/replica/tick_scheduler.ts";
import { GroupMultiplexer, type MemberLocator } from "../../../src/cluster/transport/group_multiplexer.ts";
import { MemoryPeerNetwork } from "../../../src/cluster/transport/memory_peer_transport.ts";
import { PeerCounters } from "../../../src/cluster/transport/peer_stats.ts";
import { startTcpNodeTransport } from "../../../src/cluster/transport/tcp_peer_transport.ts";
import type { NodeHeartbeat, NodeReceiver, NodeTransport } from "../../../src/cluster/transport/types.ts";
import { realClock } from "../../../src/util/clock.ts";
import { waitFor } from "../../support/wait_for.ts";
import { heartbeat } from "./sample_messages.ts";

type Arrival = { kind: "message"; message: Message } | { kind: "heartbeat"; from: NodeId; heartbeat: NodeHeartbeat };

interface Fabric {
  name: string;
  start(node: NodeId): Promise<{ transport: NodeTransport; address: string }>;
}

const running: NodeTransport[] = [];
const closers: Array<() => void> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await Promise.all(running.splice(0).map((transport) => transport.close()));
});

const tcp: Fabric = {
  name: "TCP",
  async start(node) {
    const listen = { host: "127.0.0.1", port: 0 };
    const transport = await startTcpNodeTransport({ nodeId: node, clusterId: "beats", listen, peers: new Map() });
    running.push(transport);
    return { transport, address: `127.0.0.1:${transport.listenAddress.port}` };
  },
};

function memory(): Fabric {
  const network = new MemoryPeerNetwork({ encodeFrames: true });
  return {
    name: "memory, peer frames",
    async start(node) {
      const transport = network.joinNode(node);
      running.push(transport);
      return { transport, address: `memory:${node}` };
    },
  };
}

function recording(arrivals: Arrival[]): NodeReceiver {
  return {
    message: (_from, _group, message) => {
      arrivals.push({ kind: "message", message });
      return null;
    },
    refused: () => {},
    refusalsFor: () => [],
    heartbeat: (from, beat) => arrivals.push({ kind: "heartbeat", from, heartbeat: beat }),
  };
}

/** Two nodes, 1 and 2, each talking to the other; node 2 records what arrives. */
async function pair(fabric: Fabric) {
  const one = await fabric.start(1);
  const two = await fabric.start(2);
  one.transport.setNodes(new Map([[2, two.address]]));
  two.transport.setNodes(new Map([[1, one.address]]));
  const arrivals: Arrival[] = [];
  two.transport.attach(recording(arrivals));
  one.transport.attach(recording([]));
  return { one: one.transport, two: two.transport, arrivals };
}

for (const fabric of [tcp, memory()]) {
  describe(`node heartbeats (${fabric.name})`, () => {
    test("arrive with their flag, in order with the messages to the same node, counted apart from them", async () => {
      const { one, two, arrivals } = await pair(fabric);
      const counters = new PeerCounters();
      const messages = [1, 2, 3].map((commit) => heartbeat(11, 21, commit));
      one.send(2, { group: 5, message: messages[0]!, counters });
      one.sendHeartbeat(2, { diskStalled: false });
      one.send(2, { group: 5, message: messages[1]!, counters });
      one.sendHeartbeat(2, { diskStalled: true });
      one.send(2, { group: 5, message: messages[2]!, counters });
      await waitFor(() => arrivals.length === 5 || null, "everything to arrive");
      expect(arrivals).toEqual([
        { kind: "message", message: messages[0]! },
        { kind: "heartbeat", from: 1, heartbeat: { diskStalled: false } },
        { kind: "message", message: messages[1]! },
        { kind: "heartbeat", from: 1, heartbeat: { diskStalled: true } },
        { kind: "message", message: messages[2]! },
      ]);
      expect(one.stats()).toMatchObject({ messagesSent: 3, nodeHeartbeatsSent: 2 });
      expect(two.stats()).toMatchObject({ messagesReceived: 3, nodeHeartbeatsReceived: 2 });
    });

    test("one to a node not talked to is dropped and counted", async () => {
      const { one } = await pair(fabric);
      one.sendHeartbeat(7, { diskStalled: false });
      expect(one.stats().messagesDroppedUnknownPeer).toBe(1);
    });

    test("through a group multiplexer they feed its node liveness, sent to the nodes its groups need", async () => {
      const locator: MemberLocator = {
        nodeOf: (_group, member) => member % 10,
        memberOn: (group, node) => group * 10 + node,
      };
      const started = [await fabric.start(1), await fabric.start(2), await fabric.start(3)];
      const livenesses = started.map(({ transport }) => {
        const ticks = new SharedTickScheduler(realClock, 10);
        const send = (to: NodeId, beat: NodeHeartbeat) => transport.sendHeartbeat(to, beat);
        const liveness = new NodeLiveness({ nodeId: transport.nodeId, clock: realClock, ticks, send });
        closers.push(() => liveness.close());
        const multiplexer = new GroupMultiplexer(transport, locator, liveness);
        // One group, 4, shared by nodes 1 and 2 only: node 3 holds another.
        const group = transport.nodeId === 3 ? 5 : 4;
        const view = multiplexer.open(group, group * 10 + transport.nodeId);
        const peers = transport.nodeId === 3 ? [] : [1, 2].filter((node) => node !== transport.nodeId);
        view.setPeers(new Map(peers.map((node) => [group * 10 + node, started[node - 1]!.address])));
        return { liveness, multiplexer };
      });
      const [one, two] = livenesses;
      const alive = () => (one!.liveness.isAlive(2) && two!.liveness.isAlive(1)) || null;
      await waitFor(alive, "nodes 1 and 2 alive to each other");
      const groupView = one!.multiplexer.livenessOf(4);
      expect([groupView.isAlive(42), groupView.isAlive(41), groupView.isAlive(43)]).toEqual([true, true, false]);
      expect(started[0]!.transport.stats().nodeHeartbeatsSent).toBeGreaterThan(0);
      expect(started[2]!.transport.stats().nodeHeartbeatsSent).toBe(0);
    });
  });
}
