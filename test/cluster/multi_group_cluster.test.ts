/**
 * Many groups per node over one peer connection per node pair: 3 nodes run 8 unmodified replica
 * drivers each (the counter machine), one per group, on views of a group multiplexer, over TCP on
 * 127.0.0.1 and over the in-memory network carrying real peer frames. Every group elects its own
 * leader and replicates its own writes; the nodes keep one connection per peer node; when a node
 * stops, every group it led elects another leader and goes on; a replica removed from one group
 * learns it from that group's refusal while its node's other replicas carry on.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { NodeRemoval } from "../../src/cluster/node_removal.ts";
import type { NodeId } from "../../src/cluster/raft/types.ts";
import { ReplicaDriver, type GroupMembership } from "../../src/cluster/replica/replica_driver.ts";
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
  removals: Map<GroupId, NodeRemoval>;
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
    started.push({ position, transport, address, multiplexer, drivers: new Map(), removals: new Map() });
  }
  for (const node of started) for (const group of groups) startReplica(node, group, started);
  return started;
}

/**
 * As the node runtime will: the view reaches the members of the newest and the applied
 * membership, at their nodes' addresses, and knows the applied index (so it refuses non-members).
 */
function peersOf(group: GroupId, all: Node[], membership: GroupMembership): Map<NodeId, string> {
  const { newest, applied } = membership;
  const members = new Set([...newest.voters, ...newest.learners, ...applied.voters, ...applied.learners]);
  const addressOf = (member: NodeId) => all.find((node) => memberOf(group, node.position) === member)!.address;
  return new Map([...members].map((member) => [member, addressOf(member)]));
}

function startReplica(node: Node, group: GroupId, all: Node[]): void {
  const member = memberOf(group, node.position);
  const transport = node.multiplexer.open(group, member);
  const storage = new MemoryRaftStorage({ voters: all.map((peer) => memberOf(group, peer.position)), learners: [] });
  const events = {
    membershipChanged: (membership: GroupMembership) => {
      transport.setPeers(peersOf(group, all, membership), membership.appliedIndex);
    },
    becameLeader: () => {},
  };
  const driver = ReplicaDriver.start<number, CounterMachine>({
    nodeId: member,
    storage,
    transport,
    events,
    machine: new CounterMachine(storage.snapshot()),
    randomSeed: member * 7919,
    onRemoved: (removal) => node.removals.set(group, removal),
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

/** Removes group 5's replica on the third node; it learns from its group's refusal while its other groups go on. */
async function removeOneReplica(fabric: Fabric): Promise<void> {
  await writeInEveryGroup(1);
  const removedGroup = 5;
  const third = nodes[2]!;
  const removedMember = memberOf(removedGroup, third.position);
  const firstMember = memberOf(removedGroup, 1);
  let leader = await waitFor(() => leaderOf(removedGroup), "group 5's leader");
  if (leader.nodeId === removedMember) {
    leader.transferLeadership(firstMember);
    const transferred = () => {
      const found = leaderOf(removedGroup);
      return found?.nodeId === firstMember ? found : null;
    };
    leader = await waitFor(transferred, "the transfer");
  }
  // The removed replica never hears the entry that removes it (§4.1): a peer's refusal tells it.
  await leader.changeMembership({ kind: "removeNode", node: removedMember }, Infinity);
  const removal = await waitFor(() => third.removals.get(removedGroup), "the removed replica told by its group");
  const anyIndex = expect.any(Number);
  expect(removal).toEqual({ node: removedMember, membershipIndex: anyIndex, learnedFrom: anyIndex });
  expect(Math.floor(removal.learnedFrom / membersPerGroupMax)).toBe(removedGroup);
  expect([...third.removals.keys()]).toEqual([removedGroup]);
  // The third node's other replicas still replicate, over the same connections.
  const others = groups.filter((group) => group !== removedGroup);
  await Promise.all(others.map(async (group) => {
    const groupLeader = await waitFor(() => leaderOf(group), `a leader of group ${group}`);
    await groupLeader.propose(new Uint8Array([2]), Infinity);
  }));
  const othersAtThree = () => others.every((group) => third.drivers.get(group)!.machine.total === 3);
  await waitFor(othersAtThree, "the third node's other groups at 3");
  if (fabric === tcp) expect(third.transport.stats().connectionsOpened).toBe(nodeCount - 1);
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

    test("a replica removed from one group is told by that group alone; its node's other replicas go on", async () => {
      nodes = await startCluster(fabric);
      await removeOneReplica(fabric);
    }, 60_000);
  });
}
