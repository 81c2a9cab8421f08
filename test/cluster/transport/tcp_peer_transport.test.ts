/**
 * The TCP peer transport passes the transport contract on 127.0.0.1, and redials a restarted or
 * unreachable peer as documented.
 */
import { afterEach, expect, test } from "bun:test";
import type { Message } from "../../../src/cluster/raft/types.ts";
import { startTcpPeerTransport } from "../../../src/cluster/transport/tcp_peer_transport.ts";
import type { PeerDialer, PeerTransportLimits, TcpPeerTransport } from "../../../src/cluster/transport/types.ts";
import { heartbeat } from "./sample_messages.ts";
import { runTransportContract } from "./transport_contract.ts";
import { waitFor } from "../../support/wait_for.ts";

function startNode(nodeId: number, limits?: Partial<PeerTransportLimits>, port = 0, dial?: PeerDialer): Promise<TcpPeerTransport> {
  return startTcpPeerTransport({ nodeId, clusterId: "test-cluster", listen: { host: "127.0.0.1", port }, peers: new Map(), limits, dial });
}

/** Heartbeats resent (5 ms apart) until one is queued for a closed peer. */
const resendsMax = 2000;

/** Each transport's listen address, by node id, for setPeers. */
function addressesOf(byNode: Map<number, TcpPeerTransport>): Map<number, string> {
  return new Map([...byNode].map(([node, transport]) => [node, `127.0.0.1:${transport.listenAddress.port}`]));
}

runTransportContract("TcpPeerTransport", {
  async start(nodeId, limits, reuseAddress) {
    const port = reuseAddress === undefined ? 0 : Number(reuseAddress.split(":")[1]);
    const transport = await startNode(nodeId, limits, port);
    return { transport, address: `127.0.0.1:${transport.listenAddress.port}` };
  },
});

let running: TcpPeerTransport[] = [];
afterEach(async () => {
  await Promise.all(running.map((transport) => transport.close()));
  running = [];
});

test("TcpPeerTransport: a restarted peer dials in at start and is redialed at once, not at the end of the backoff", async () => {
  // Node 1 would wait a minute before redialing node 2; the wait below gives up long before that.
  const backoffMs = 60_000;
  const first = await startNode(1, { reconnectDelayMsMin: backoffMs, reconnectDelayMsMax: backoffMs });
  const second = await startNode(2);
  running.push(first, second);
  const addresses = addressesOf(new Map([[1, first], [2, second]]));
  first.setPeers(addresses);
  second.setPeers(addresses);
  const beforeRestart: Message[] = [];
  second.onMessage((message) => beforeRestart.push(message));
  first.send([heartbeat(1, 2, 1)]);
  await waitFor(() => beforeRestart.length === 1, "first delivery");

  await second.close();
  // Once node 1 has seen the connection go, it waits out its backoff and queues what it sends;
  // until then its sends go to the dying socket and are lost (best effort, Raft resends).
  let commit = 1;
  const queuedOrResent = () => {
    if (first.stats().queuedMessagesByPeer["2"] === 1) return commit;
    first.send([heartbeat(1, 2, ++commit)]);
    return 0;
  };
  const queuedCommit = await waitFor(queuedOrResent, "a send queued for the closed peer", { attemptsMax: resendsMax });

  const restarted = await startNode(2, undefined, second.listenAddress.port);
  running.push(restarted);
  restarted.setPeers(addresses);
  const afterRestart: Message[] = [];
  restarted.onMessage((message) => afterRestart.push(message));
  // The restarted node dials its peers as soon as it knows them, without a message to send:
  // its hello tells node 1 that it is back.
  await waitFor(() => afterRestart.length > 0, "delivery after restart");
  expect(afterRestart[0]).toEqual(heartbeat(1, 2, queuedCommit));
});

test("TcpPeerTransport: a connect attempt that never completes is abandoned after the connect timeout and retried", async () => {
  const receiver = await startNode(2);
  running.push(receiver);
  const received: Message[] = [];
  receiver.onMessage((message) => received.push(message));
  // The first dial hangs for good, as a connect whose SYN is lost in a partition does.
  const dials: string[] = [];
  const dial: PeerDialer = (options) => {
    dials.push(`${options.hostname}:${options.port}`);
    return dials.length === 1 ? new Promise(() => {}) : Bun.connect(options);
  };
  const sender = await startNode(1, { connectTimeoutMs: 20, reconnectDelayMsMin: 1, reconnectDelayMsMax: 1 }, 0, dial);
  running.push(sender);
  const addresses = addressesOf(new Map([[1, sender], [2, receiver]]));
  receiver.setPeers(addresses);
  sender.setPeers(addresses);
  sender.send([heartbeat(1, 2, 7)]);
  await waitFor(() => received.length === 1, "delivery over the second attempt");
  expect(received[0]).toEqual(heartbeat(1, 2, 7));
  expect(dials.length).toBe(2);
  expect(dials[0]).toBe(`127.0.0.1:${receiver.listenAddress.port}`);
});
