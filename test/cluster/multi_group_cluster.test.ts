/**
 * Many groups per node over one peer connection per node pair: 3 nodes run 8 unmodified replica
 * drivers each (the counter machine), one per group, on views of a group multiplexer, over TCP on
 * 127.0.0.1 and over the in-memory network carrying real peer frames. Every group elects its own
 * leader and replicates its own writes; the nodes keep one connection per peer node; when a node
 * stops, every group it led elects another leader and goes on.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { NodeId } from "../../src/cluster/raft/types.ts";
import { ReplicaDriver } from "../../src/cluster/replica/replica_driver.ts";
import { MemoryRaftStorage } from "../../src/cluster/storage/memory_raft_storage.ts";
import { GroupMultiplexer, type MemberLocator } from "../../src/cluster/transport/group_multiplexer.ts";
import { MemoryPeerNetwork } from "../../src/cluster/transport/memory_peer_transport.ts";
import { startTcpNodeTransport } from "../../src/cluster/transport/tcp_peer_transport.ts";
import type { GroupId, NodeTransport } from "../../src/cluster/transport/types.ts";
import { waitFor } from "../support/wait_for.ts";
import { CounterMachine } from "./replica/counter_machine.ts";

const nodeCount = 3;
const groups: GroupId[] = [1, 2, 3, 4, 5, 6, 7, 8];
/** Node ids 501, 502, 503; replica ids group × 10 + position (group 4: 41, 42, 43): never a node id. */
const nodeIdBase = 500;
const membersPerGroupMax = 10;
const nodeOf = (position: number): NodeId => nodeIdBase + position;
const memberOf = (group: GroupId, position: number): NodeId => group * membersPerGroupMax + position;
const locator: MemberLocator = {
  nodeOf: (_group, member) => nodeOf(member % membersPerGroupMax),
  memberOn: (group, node) => memberOf(group, node - nodeIdBase),
};

type CounterDriver = ReplicaDriver<number, CounterMachine>;

interface Node {
  position: number;
  transport: NodeTransport;
  address: string;
  multiplexer: GroupMultiplexer;
  drivers: Map<GroupId, CounterDriver>;
}

interface Fabric {
  name: string;
  start(position: number): Promise<{ transport: NodeTransport; address: string }>;
}

const tcp: Fabric = {
  name: "TCP",
  async start(position) {
    const listen = { host: "127.0.0.1", port: 0 };
    const nodeId = nodeOf(position);
    const transport = await startTcpNodeTransport({ nodeId, clusterId: "groups", listen, peers: new Map() });
    return { transport, address: `127.0.0.1:${transport.listenAddress.port}` };
  },
};

function memory(): Fabric {
  const network = new MemoryPeerNetwork({ encodeFrames: true });
  return {
    name: "memory, peer frames",
    async start(position) {
      return { transport: network.joinNode(nodeOf(position)), address: `memory:${position}` };
    },
  };
}

let nodes: Node[] = [];
afterEach(async () => {
  for (const node of nodes.splice(0)) await stopNode(node);
});

async function stopNode(node: Node): Promise<void> {
  for (const driver of node.drivers.values()) await driver.close();
  node.drivers.clear();
  await node.multiplexer.close();
}

/** Starts every node's transport first (so each one's hello is accepted), then its replicas. */
async function startCluster(fabric: Fabric): Promise<Node[]> {
  const started: Node[] = [];
  for (let position = 1; position <= nodeCount; position++) {
    const { transport, address } = await fabric.start(position);
    const multiplexer = new GroupMultiplexer(transport, locator);
    started.push({ position, transport, address, multiplexer, drivers: new Map() });
  }
  for (const node of started) for (const group of groups) startReplica(node, group, started);
  return started;
}

function startReplica(node: Node, group: GroupId, all: Node[]): void {
  const member = memberOf(group, node.position);
  const transport = node.multiplexer.open(group, member);
  transport.setPeers(new Map(all.map((peer) => [memberOf(group, peer.position), peer.address])));
  const storage = new MemoryRaftStorage({ voters: all.map((peer) => memberOf(group, peer.position)), learners: [] });
  const driver = ReplicaDriver.start<number, CounterMachine>({
    nodeId: member,
    storage,
    transport,
    machine: new CounterMachine(storage.snapshot()),
    randomSeed: member * 7919,
  });
  node.drivers.set(group, driver);
}

/** The one leader of `group` among the running nodes, once the others follow it. */
function leaderOf(group: GroupId): CounterDriver | null {
  const drivers = nodes.map((node) => node.drivers.get(group)!);
  const leaders = drivers.filter((driver) => driver.isLeader());
  if (leaders.length !== 1) return null;
  const leader = leaders[0]!;
  return drivers.every((driver) => driver.status().softState.leader === leader.nodeId) ? leader : null;
}

/** Adds `amount` in every group through its leader; resolves with each group's new total. */
async function writeInEveryGroup(amount: number): Promise<number[]> {
  const leaderFound = (group: GroupId) => waitFor(() => leaderOf(group), `a leader of group ${group}`);
  const leaders = await Promise.all(groups.map(leaderFound));
  return Promise.all(leaders.map(async (leader) => (await leader.propose(new Uint8Array([amount]), Infinity))!));
}

async function everyReplicaAt(total: number): Promise<void> {
  const atTotal = (node: Node) => [...node.drivers.values()].every((driver) => driver.machine.total === total);
  const converged = () => nodes.every(atTotal);
  await waitFor(converged, `every replica of every group at ${total}`);
}

for (const fabric of [tcp, memory()]) {
  describe(`3 nodes × 8 groups over one connection per node pair (${fabric.name})`, () => {
    test("every group elects its own leader and replicates its own writes", async () => {
      nodes = await startCluster(fabric);
      expect(await writeInEveryGroup(3)).toEqual(groups.map(() => 3));
      expect(await writeInEveryGroup(4)).toEqual(groups.map(() => 7));
      await everyReplicaAt(7);
      const leaders = groups.map((group) => leaderOf(group)!.nodeId);
      expect(leaders.map((leader) => Math.floor(leader / membersPerGroupMax))).toEqual(groups);
      if (fabric !== tcp) return;
      // Outbound connections: one per peer node, for all 8 groups (none lost on 127.0.0.1).
      for (const node of nodes) expect(node.transport.stats().connectionsOpened).toBe(nodeCount - 1);
    }, 60_000);

    test("a node stops: every group it led elects another leader and goes on", async () => {
      nodes = await startCluster(fabric);
      await writeInEveryGroup(1);
      const stopped = nodes.pop()!;
      await stopNode(stopped);
      expect(await writeInEveryGroup(2)).toEqual(groups.map(() => 3));
      await everyReplicaAt(3);
      for (const group of groups) expect(leaderOf(group)!.nodeId % membersPerGroupMax).not.toBe(stopped.position);
    }, 60_000);
  });
}
