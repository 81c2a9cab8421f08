/**
 * The group multiplexer: a group's view passes the transport contract over both node transports
 * (with replica ids that are not node ids, beside another open group); many groups between three
 * nodes share one connection per node pair, and one socket write per turn; a node is dialed
 * while any group needs it; a message of a group the node does not hold is dropped, counted and
 * logged while the connection carries on; a replica that is not a member of one group is refused
 * for that group alone.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import type { Message, NodeId } from "../../../src/cluster/raft/types.ts";
import { GroupMultiplexer, type MemberLocator } from "../../../src/cluster/transport/group_multiplexer.ts";
import { MemoryPeerNetwork } from "../../../src/cluster/transport/memory_peer_transport.ts";
import { startTcpNodeTransport } from "../../../src/cluster/transport/tcp_peer_transport.ts";
import type {
  GroupId, NodeTransport, PeerDialer, PeerRefusal, PeerTransport, PeerTransportLimits,
} from "../../../src/cluster/transport/types.ts";
import type { Logger } from "../../../src/util/logger.ts";
import { waitFor } from "../../support/wait_for.ts";
import { CollectingLogger } from "../../util/collecting_logger.ts";
import { heartbeat } from "./sample_messages.ts";
import { runTransportContract } from "./transport_contract.ts";

const clusterId = "multiplexer-cluster";
/** Node ids in these tests are 1001, 1002, ...: never equal to a member id. */
const nodeIdBase = 1000;
/** Replica ids: group × 100 + the node's position (1, 2, 3), so group 7's members are 701, 702, 703. */
const membersPerGroupMax = 100;

const nodeOfPosition = (position: number) => nodeIdBase + position;
const memberOf = (group: GroupId, position: number) => group * membersPerGroupMax + position;

/** Where the test's replicas run, as the coordinator's shard map would tell a node. */
const locator: MemberLocator = {
  nodeOf: (_group, member) => nodeOfPosition(member % membersPerGroupMax),
  memberOn: (group, node) => memberOf(group, node - nodeIdBase),
};

/** Contract members are 1, 2, ... (group 0's ids in the contract) and run on nodes 1001, 1002, ... */
const contractGroup = 0;
const contractLocator: MemberLocator = {
  nodeOf: (_group, member) => member + nodeIdBase,
  memberOn: (_group, node) => node - nodeIdBase,
};
/** Opened beside the contract's group on every node, without peers: it must change nothing. */
const idleGroup = 9;

/** The contract's view, whose close closes its whole node (as a node of one group would). */
function closingNode(view: PeerTransport, multiplexer: GroupMultiplexer): PeerTransport {
  return {
    nodeId: view.nodeId,
    send: (messages) => view.send(messages),
    onMessage: (handler) => view.onMessage(handler),
    onRefused: (handler) => view.onRefused(handler),
    setPeers: (peers, membershipIndex) => view.setPeers(peers, membershipIndex),
    stats: () => view.stats(),
    close: () => multiplexer.close(),
  };
}

function contractView(node: NodeTransport, member: NodeId): PeerTransport {
  const multiplexer = new GroupMultiplexer(node, contractLocator);
  multiplexer.open(idleGroup, member);
  return closingNode(multiplexer.open(contractGroup, member), multiplexer);
}

runTransportContract("group view over the TCP node transport", {
  async start(member, limits, reuseAddress) {
    const port = reuseAddress === undefined ? 0 : Number(reuseAddress.split(":")[1]);
    const listen = { host: "127.0.0.1", port };
    const nodeId = member + nodeIdBase;
    const node = await startTcpNodeTransport({ nodeId, clusterId, listen, peers: new Map(), limits });
    return { transport: contractView(node, member), address: `127.0.0.1:${node.listenAddress.port}` };
  },
});

const contractNetwork = new MemoryPeerNetwork();
runTransportContract("group view over the memory node transport", {
  async start(member, limits) {
    const node = contractNetwork.joinNode(member + nodeIdBase, limits);
    return { transport: contractView(node, member), address: `memory:${member}` };
  },
});

interface StartOptions {
  dial?: PeerDialer;
  logger?: Logger;
  limits?: Partial<PeerTransportLimits>;
}

/** How the cases below start a node: on TCP or on an in-memory network. */
interface Fabric {
  name: string;
  /** Starts the node at `position` (1, 2, 3, ...); `dial` and `logger` apply on TCP only. */
  start(position: number, options?: StartOptions): Promise<StartedNode>;
}

interface StartedNode {
  transport: NodeTransport;
  address: string;
}

const running: NodeTransport[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((transport) => transport.close()));
});

const tcp: Fabric = {
  name: "TCP",
  async start(position, options = {}) {
    const listen = { host: "127.0.0.1", port: 0 };
    const transport = await startTcpNodeTransport({
      nodeId: nodeOfPosition(position), clusterId, listen, peers: new Map(), ...options,
    });
    running.push(transport);
    return { transport, address: `127.0.0.1:${transport.listenAddress.port}` };
  },
};

function memoryFabric(): Fabric {
  const network = new MemoryPeerNetwork();
  return {
    name: "memory",
    async start(position, options = {}) {
      const transport = network.joinNode(nodeOfPosition(position), options.limits);
      running.push(transport);
      return { transport, address: `memory:${position}` };
    },
  };
}

/** A node of the cases: its multiplexer, its views by group and what each view received. */
interface Node {
  position: number;
  started: StartedNode;
  multiplexer: GroupMultiplexer;
  views: Map<GroupId, PeerTransport>;
  received: Map<GroupId, Message[]>;
  refusals: Map<GroupId, PeerRefusal[]>;
}

function openGroup(node: Node, group: GroupId): PeerTransport {
  const view = node.multiplexer.open(group, memberOf(group, node.position));
  const received: Message[] = [];
  const refusals: PeerRefusal[] = [];
  view.onMessage((message) => received.push(message));
  view.onRefused((refusal) => refusals.push(refusal));
  node.views.set(group, view);
  node.received.set(group, received);
  node.refusals.set(group, refusals);
  return view;
}

/** Gives `group`'s view on `node` the members on `peers` (positions) as its peers. */
function setGroupPeers(node: Node, group: GroupId, peers: Node[], membershipIndex?: number): void {
  const addresses = new Map(peers.map((peer) => [memberOf(group, peer.position), peer.started.address]));
  node.views.get(group)!.setPeers(addresses, membershipIndex);
}

/** Starts `count` nodes holding `groups` each (every node a member of every group), peers set. */
async function startNodes(fabric: Fabric, count: number, groups: GroupId[], options = {}): Promise<Node[]> {
  const nodes: Node[] = [];
  for (let position = 1; position <= count; position++) {
    const started = await fabric.start(position, options);
    const multiplexer = new GroupMultiplexer(started.transport, locator);
    nodes.push({ position, started, multiplexer, views: new Map(), received: new Map(), refusals: new Map() });
  }
  for (const node of nodes) {
    for (const group of groups) {
      openGroup(node, group);
      setGroupPeers(node, group, nodes);
    }
  }
  return nodes;
}

const groupsOfEight = [1, 2, 3, 4, 5, 6, 7, 8];

/** Each group's member on `from` sends one heartbeat to its member on every other node, committing `commit`. */
function sendInEveryGroup(from: Node, nodes: Node[], groups: GroupId[], commit: number): void {
  for (const group of groups) {
    const messages = nodes.filter((node) => node !== from)
      .map((node) => heartbeat(memberOf(group, from.position), memberOf(group, node.position), commit));
    from.views.get(group)!.send(messages);
  }
}

describe("many groups over one connection per node pair", () => {
  test("3 nodes × 8 groups: every group's messages reach their member, over 2 connections per node", async () => {
    const nodes = await startNodes(tcp, 3, groupsOfEight);
    for (const node of nodes) sendInEveryGroup(node, nodes, groupsOfEight, node.position);
    const heardTwice = (node: Node) => groupsOfEight.every((group) => node.received.get(group)!.length === 2);
    const everyGroupHeard = () => nodes.every(heardTwice);
    await waitFor(everyGroupHeard, "two messages in every group on every node");
    for (const node of nodes) {
      for (const group of groupsOfEight) {
        const heard = node.received.get(group)!.map((message) => [message.from, message.to]).sort();
        const others = nodes.filter((other) => other !== node);
        const expected = others.map((other) => [memberOf(group, other.position), memberOf(group, node.position)]);
        expect(heard).toEqual(expected.sort());
        expect(node.views.get(group)!.stats().messagesSent).toBe(2);
      }
      // One outbound connection to each other node, whatever the number of groups.
      expect(node.started.transport.stats().connectionsOpened).toBe(2);
      expect(node.started.transport.stats().messagesSent).toBe(2 * groupsOfEight.length);
    }
  });

  test("the messages of one turn to one node, whatever their groups, leave in one socket write", async () => {
    const writesByPort = new Map<number, number>();
    const dial: PeerDialer = (options) => Bun.connect({
      ...options,
      socket: {
        ...options.socket,
        open(socket: Socket<undefined>) {
          const write = socket.write.bind(socket);
          socket.write = ((data: Uint8Array) => {
            writesByPort.set(options.port, (writesByPort.get(options.port) ?? 0) + 1);
            return write(data);
          }) as typeof socket.write;
          options.socket.open?.(socket);
        },
      },
    });
    const nodes = await startNodes(tcp, 2, groupsOfEight, { dial });
    const [first, second] = nodes as [Node, Node];
    const secondPort = Number(second.started.address.split(":")[1]);
    sendInEveryGroup(first, nodes, [1], 0);
    await waitFor(() => second.received.get(1)!.length === 1, "the first message, once connected");
    const writesBefore = writesByPort.get(secondPort)!;
    sendInEveryGroup(first, nodes, groupsOfEight, 1);
    const committedOne = (message: Message) => message.type === "heartbeat" && message.commit === 1;
    const everyGroupCommittedOne = () => groupsOfEight.every((group) => second.received.get(group)!.some(committedOne));
    await waitFor(everyGroupCommittedOne, "every group's message");
    expect(writesByPort.get(secondPort)! - writesBefore).toBe(1);
  });

});

describe("the nodes a multiplexer talks to", () => {
  test("a node is dialed while any of its groups needs it, and once", async () => {
    const nodes = await startNodes(tcp, 3, []);
    const [first, second, third] = nodes as [Node, Node, Node];
    const dialed = () => Object.keys(first.started.transport.stats().queuedMessagesByPeer).map(Number).sort();
    openGroup(first, 1);
    openGroup(first, 2);
    setGroupPeers(first, 1, [second]);
    setGroupPeers(first, 2, [second, third]);
    expect(dialed()).toEqual([nodeOfPosition(2), nodeOfPosition(3)]);
    await first.views.get(2)!.close();
    expect(dialed()).toEqual([nodeOfPosition(2)]);
    await first.views.get(1)!.close();
    expect(dialed()).toEqual([]);
    expect(first.multiplexer.groups()).toEqual([]);
  });

  test("one view per group: opening a group twice is a bug", async () => {
    const [node] = await startNodes(tcp, 1, [4]);
    expect(() => node!.multiplexer.open(4, memberOf(4, 1))).toThrow("group 4 is open already");
  });
});

for (const fabric of [tcp, memoryFabric()]) {
  describe(`refused per group (${fabric.name})`, () => {
    test("a message of a group this node does not hold is dropped and counted; the other groups carry on", async () => {
      const logger = new CollectingLogger();
      const nodes = await startNodes(fabric, 2, [1], { logger });
      const [first, second] = nodes as [Node, Node];
      openGroup(first, 2);
      setGroupPeers(first, 2, [second]);
      sendInEveryGroup(first, nodes, [2, 1], 5);
      await waitFor(() => second.received.get(1)!.length === 1, "group 1's message");
      expect(second.started.transport.stats().rejected.unknownGroup).toBe(1);
      sendInEveryGroup(first, nodes, [2, 1], 6);
      await waitFor(() => second.received.get(1)!.length === 2, "group 1's next message, on the same connection");
      expect(second.started.transport.stats().rejected.unknownGroup).toBe(2);
      expect(first.started.transport.stats().connectionsOpened).toBe(fabric === tcp ? 1 : 0);
      if (fabric !== tcp) return;
      expect(logger.lines.find((line) => line.message === "peer input refused")).toEqual({
        level: "warn",
        message: "peer input refused",
        fields: { reason: "message of a group this node holds no replica of", group: 2, from: 201, to: 202, count: 1 },
      });
    });

    test("a replica that is not a member of one group is told so for that group alone", async () => {
      const nodes = await startNodes(fabric, 2, [1, 2]);
      const [first, second] = nodes as [Node, Node];
      // The second node's group 1 no longer lists the first node's replica, as of its index 9.
      setGroupPeers(second, 1, [], 9);
      sendInEveryGroup(first, nodes, [1, 2], 3);
      await waitFor(() => first.refusals.get(1)!.length === 1, "group 1's refusal");
      expect(first.refusals.get(1)).toEqual([
        { from: memberOf(1, 2), membershipIndex: 9, reason: "not a member of this group as of index 9" },
      ]);
      await waitFor(() => second.received.get(2)!.length === 1, "group 2's message");
      expect(second.received.get(1)).toEqual([]);
      expect(first.refusals.get(2)).toEqual([]);
      expect(second.started.transport.stats().rejected.notMember).toBe(1);
      // The connection carries on for group 2.
      sendInEveryGroup(first, nodes, [2], 4);
      await waitFor(() => second.received.get(2)!.length === 2, "group 2's next message");
    });
  });
}
