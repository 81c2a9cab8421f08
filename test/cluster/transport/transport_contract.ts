/**
 * Conformance cases of PeerTransport, run against the TCP transport and the in-memory one
 * (tcp_peer_transport.test.ts, memory_peer_transport.test.ts).
 */
import { afterEach, expect, test } from "bun:test";
import type { Message, NodeId } from "../../../src/cluster/raft/types.ts";
import type { PeerRefusal, PeerTransport, PeerTransportLimits } from "../../../src/cluster/transport/types.ts";
import { heartbeat, sampleMessages } from "./sample_messages.ts";
import { waitFor } from "../../support/wait_for.ts";

export interface StartedTransport {
  transport: PeerTransport;
  /** "host:port" peers use to reach it. */
  address: string;
}

export interface TransportFactory {
  /** Starts node `nodeId` with no peers; `reuseAddress` restarts it where it was. */
  start(nodeId: NodeId, limits?: Partial<PeerTransportLimits>, reuseAddress?: string): Promise<StartedTransport>;
}

function readdressed(message: Message, from: NodeId, to: NodeId): Message {
  return { ...message, from, to } as Message;
}

/** What the cases need: the transport under test, and a way to start (and later close) a group of nodes. */
interface ContractContext {
  name: string;
  factory: TransportFactory;
  startGroup(count: number, limits?: Partial<PeerTransportLimits>): Promise<Group>;
  /** Closes `transport` after the case, with the group's. */
  closeAfter(transport: PeerTransport): void;
}

interface Group {
  nodes: StartedTransport[];
  /** What each node received, by position (node id - 1). */
  received: Message[][];
  addresses: Map<NodeId, string>;
}

/** Sends made while a peer is down or reconnecting may be lost (best effort): cases resend, this often at most. */
const resendsMax = 2000;

export function runTransportContract(name: string, factory: TransportFactory): void {
  const running: PeerTransport[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((transport) => transport.close()));
  });
  const context: ContractContext = {
    name,
    factory,
    startGroup: (count, limits) => startGroup(factory, running, count, limits),
    closeAfter: (transport) => running.push(transport),
  };
  deliveryCases(context);
  peerChangeCases(context);
}

async function startGroup(
  factory: TransportFactory,
  running: PeerTransport[],
  count: number,
  limits?: Partial<PeerTransportLimits>,
): Promise<Group> {
  const nodes: StartedTransport[] = [];
  for (let node = 1; node <= count; node++) nodes.push(await factory.start(node, limits));
  const addresses = new Map(nodes.map((started, position) => [position + 1, started.address]));
  for (const started of nodes) started.transport.setPeers(addresses);
  running.push(...nodes.map((started) => started.transport));
  const received = nodes.map(() => [] as Message[]);
  nodes.forEach((started, position) => started.transport.onMessage((message) => received[position].push(message)));
  return { nodes, received, addresses };
}

/** Messages arrive intact and in order; a full queue and unknown nodes are counted. */
function deliveryCases({ name, startGroup }: ContractContext): void {
  test(`${name}: every message type reaches its node intact`, async () => {
    const { nodes, received } = await startGroup(3);
    const toTwo = sampleMessages().map((message) => readdressed(message, 1, 2));
    const toThree = sampleMessages().map((message) => readdressed(message, 2, 3));
    nodes[0].transport.send(toTwo);
    nodes[1].transport.send(toThree);
    await waitFor(() => received[1].length === toTwo.length && received[2].length === toThree.length, "delivery");
    expect(received[1]).toEqual(toTwo);
    expect(received[2]).toEqual(toThree);
    expect(received[0]).toEqual([]);
    expect(nodes[0].transport.stats().messagesSent).toBe(toTwo.length);
  });

  test(`${name}: messages between two nodes arrive in send order across many turns`, async () => {
    const { nodes, received } = await startGroup(2);
    const turns = 50;
    const perTurn = 20;
    for (let turn = 0; turn < turns; turn++) {
      nodes[0].transport.send(Array.from({ length: perTurn }, (_, offset) => heartbeat(1, 2, turn * perTurn + offset)));
      await Bun.sleep(0);
    }
    await waitFor(() => received[1].length === turns * perTurn, "all messages");
    const commits = received[1].map((message) => (message as { commit: number }).commit);
    expect(commits).toEqual(Array.from({ length: turns * perTurn }, (_, index) => index));
  });

  test(`${name}: a full queue drops and counts; messages to unknown nodes are counted`, async () => {
    const { nodes, received } = await startGroup(2, { queuedMessagesPerPeerMax: 8 });
    nodes[0].transport.send(Array.from({ length: 20 }, (_, index) => heartbeat(1, 2, index)));
    nodes[0].transport.send([heartbeat(1, 9, 0)]);
    expect(nodes[0].transport.stats().messagesDroppedQueueFull).toBe(12);
    expect(nodes[0].transport.stats().messagesDroppedUnknownPeer).toBe(1);
    await waitFor(() => received[1].length === 8, "the queued messages");
    expect(received[1].map((message) => (message as { commit: number }).commit)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
}

/** A restarted peer is reached again; a peer removed from the list is refused. */
function peerChangeCases({ name, factory, startGroup, closeAfter }: ContractContext): void {
  test(`${name}: a restarted peer is reached again`, async () => {
    const { nodes, received, addresses } = await startGroup(2);
    nodes[0].transport.send([heartbeat(1, 2, 1)]);
    await waitFor(() => received[1].length === 1, "first delivery");
    await nodes[1].transport.close();
    const restarted = await factory.start(2, undefined, nodes[1].address);
    closeAfter(restarted.transport);
    restarted.transport.setPeers(addresses);
    const afterRestart: Message[] = [];
    restarted.transport.onMessage((message) => afterRestart.push(message));
    let commit = 1;
    const deliveredOrResent = () => {
      if (afterRestart.length > 0) return true;
      nodes[0].transport.send([heartbeat(1, 2, ++commit)]);
      return false;
    };
    await waitFor(deliveredOrResent, "delivery after restart", { attemptsMax: resendsMax });
    expect(afterRestart[0].from).toBe(1);
  });

  test(`${name}: a peer removed from the list can no longer deliver`, async () => {
    const { nodes, received } = await startGroup(2);
    nodes[1].transport.send([heartbeat(2, 1, 1)]);
    await waitFor(() => received[0].length === 1, "delivery before removal");
    nodes[0].transport.setPeers(new Map([[1, nodes[0].address]]));
    nodes[0].transport.send([heartbeat(1, 2, 1)]);
    expect(nodes[0].transport.stats().messagesDroppedUnknownPeer).toBe(1);
    let commit = 1;
    const refusedOrResent = () => {
      if (nodes[0].transport.stats().rejected.unknownNode > 0) return true;
      nodes[1].transport.send([heartbeat(2, 1, ++commit)]);
      return false;
    };
    await waitFor(refusedOrResent, "the removed peer's messages refused", { attemptsMax: resendsMax });
    expect(received[0].length).toBe(1);
  });

  test(`${name}: a node dropped from a list given with a membership index is told it is not a member`, async () => {
    const { nodes, received } = await startGroup(2);
    const refusals: PeerRefusal[] = [];
    nodes[1].transport.onRefused((refusal) => refusals.push(refusal));
    nodes[1].transport.send([heartbeat(2, 1, 1)]);
    await waitFor(() => received[0].length === 1, "delivery while a member");
    expect(refusals).toEqual([]);
    nodes[0].transport.setPeers(new Map([[1, nodes[0].address]]), 42);
    for (let commit = 2; refusals.length === 0 && commit < 2000; commit++) {
      nodes[1].transport.send([heartbeat(2, 1, commit)]);
      await Bun.sleep(5);
    }
    expect(refusals[0]).toEqual({ from: 1, membershipIndex: 42, reason: "not a member of this group as of index 42" });
    expect(received[0].length).toBe(1);
  });
}
