/**
 * The TCP peer transport's log: one line when a peer is first reached, one when an open
 * connection is lost, one when it is regained, however many redials fail in between; refused
 * peer input is logged as well, and so are a message dropped for a frame over the limit and a
 * peer refusing this node's protocol version.
 */
import { afterEach, expect, test } from "bun:test";
import type { Socket } from "bun";
import * as flatbuffers from "flatbuffers";
import { encodeVersionRefusalFrame } from "../../../src/cluster/transport/peer_codec.ts";
import { startTcpPeerTransport } from "../../../src/cluster/transport/tcp_peer_transport.ts";
import type { PeerDialer, TcpPeerTransport } from "../../../src/cluster/transport/types.ts";
import { CollectingLogger } from "../../util/collecting_logger.ts";
import { heartbeat } from "./sample_messages.ts";
import { waitFor } from "../../support/wait_for.ts";

/** Failed redials the test waits for while the peer is down: several, so a line per redial would show. */
const failedRedialsWanted = 5;

let running: TcpPeerTransport[] = [];
afterEach(async () => {
  await Promise.all(running.map((transport) => transport.close()));
  running = [];
});

async function startNode(
  nodeId: number,
  port: number,
  logger?: CollectingLogger,
  dial?: PeerDialer,
  frameSizeBytesMax?: number,
): Promise<TcpPeerTransport> {
  const limits = { reconnectDelayMsMin: 1, reconnectDelayMsMax: 5, frameSizeBytesMax };
  // Held-back repeated lines wait for close(): what a test sees does not depend on its pace.
  const logSchedule = () => () => {};
  const transport = await startTcpPeerTransport({
    nodeId, clusterId: "test-cluster", listen: { host: "127.0.0.1", port }, peers: new Map(), limits, dial, logger,
    logSchedule,
  });
  running.push(transport);
  return transport;
}

/** Dials as the transport would, counting the dials: the tests wait for a number of failed redials. */
class CountingDialer {
  count = 0;
  readonly dial: PeerDialer = (options) => {
    this.count++;
    return Bun.connect(options);
  };
}

/** A transport redials a lost peer only while it has messages for it (a Raft node always has): send one, then check. */
function sentAnd(transport: TcpPeerTransport, condition: () => boolean): boolean {
  transport.send([heartbeat(1, 2, 1)]);
  return condition();
}

test("a peer lost and regained gives one line each, not one per failed redial", async () => {
  const logger = new CollectingLogger();
  const dialer = new CountingDialer();
  const first = await startNode(1, 0, logger, dialer.dial);
  const second = await startNode(2, 0);
  const address = `127.0.0.1:${second.listenAddress.port}`;
  const peers = new Map([[1, `127.0.0.1:${first.listenAddress.port}`], [2, address]]);
  first.setPeers(peers);
  second.setPeers(peers);
  await waitFor(() => logger.messages().includes("peer connected"), "the first connection");

  await second.close();
  await waitFor(() => logger.messages().includes("peer connection lost; redialing"), "the loss");
  const dialsAtLoss = dialer.count;
  await waitFor(() => sentAnd(first, () => dialer.count >= dialsAtLoss + failedRedialsWanted), "failed redials");
  (await startNode(2, second.listenAddress.port)).setPeers(peers);
  const regainedYet = () => logger.messages().includes("peer connection regained");
  await waitFor(() => sentAnd(first, regainedYet), "the regained connection");

  const peerLines = logger.lines.filter((line) => line.fields.peer === "n2");
  expect(peerLines.map((line) => [line.level, line.message])).toEqual([
    ["info", "peer connected"],
    ["warn", "peer connection lost; redialing"],
    ["info", "peer connection regained"],
  ]);
  expect(peerLines[1].fields).toEqual({ peer: "n2", address, count: 1 });
  const regained = peerLines[2].fields;
  expect(regained).toMatchObject({ peer: "n2", address, count: 1 });
  expect(regained.failed_attempts as number).toBeGreaterThanOrEqual(failedRedialsWanted - 1);
  expect(regained.down_ms as number).toBeGreaterThanOrEqual(0);
});

test("a peer down from the start is logged once as not reachable yet, then as connected", async () => {
  const logger = new CollectingLogger();
  const dialer = new CountingDialer();
  const placeholder = await startNode(2, 0);
  const port = placeholder.listenAddress.port;
  await placeholder.close();
  const first = await startNode(1, 0, logger, dialer.dial);
  const peers = new Map([[1, `127.0.0.1:${first.listenAddress.port}`], [2, `127.0.0.1:${port}`]]);
  first.setPeers(peers);
  await waitFor(() => sentAnd(first, () => dialer.count >= failedRedialsWanted), "failed dials");
  (await startNode(2, port)).setPeers(peers);
  await waitFor(() => sentAnd(first, () => logger.messages().includes("peer connected")), "the connection");
  expect(logger.messages()).toEqual(["peer not reachable yet; redialing", "peer connected"]);
});

test("a peer that drops every connection at once is not logged per redial", async () => {
  const logger = new CollectingLogger();
  const dialer = new CountingDialer();
  const first = await startNode(1, 0, logger, dialer.dial);
  // Node 2 does not count node 1 as a member: it accepts each connection and drops it at the hello.
  const second = await startNode(2, 0);
  first.setPeers(new Map([[2, `127.0.0.1:${second.listenAddress.port}`]]));
  await waitFor(() => sentAnd(first, () => dialer.count >= 20), "many redials");
  await first.close();
  // The first of each is written at once, the rest held back (here until close) and written as
  // one line with their count: two lines for many redials.
  for (const message of ["peer connection lost; redialing", "peer connection regained"]) {
    const lines = logger.lines.filter((line) => line.message === message);
    expect(lines.length).toBe(2);
    const counted = lines.reduce((sum, line) => sum + (line.fields.count as number), 0);
    expect(counted).toBeGreaterThanOrEqual(dialer.count - 2);
  }
});

test("a peer that refuses this node's protocol version is logged at error level with its reason", async () => {
  const logger = new CollectingLogger();
  // Stands in for a node of another version: it answers every hello with a version refusal and closes.
  const reason = "peer protocol version 2 refused: this node speaks version 3";
  const refusal = encodeVersionRefusalFrame(new flatbuffers.Builder(256), 1, reason);
  const socket = { open: (socket: Socket<undefined>) => void socket.end(refusal), data() {} };
  const other = Bun.listen({ hostname: "127.0.0.1", port: 0, socket });
  try {
    const first = await startNode(1, 0, logger);
    first.setPeers(new Map([[2, `127.0.0.1:${other.port}`]]));
    const message = "peer refused this node's peer protocol version";
    const line = await waitFor(() => logger.lines.find((logged) => logged.message === message), "the refusal line");
    expect(line).toEqual({ level: "error", message, fields: { peer: "n2", reason, count: 1 } });
  } finally {
    other.stop(true);
  }
});

test("refused peer input is logged with its reason", async () => {
  const logger = new CollectingLogger();
  const transport = await startNode(1, 0, logger);
  const port = transport.listenAddress.port;
  const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
  // A length prefix far past the frame limit: refused as malformed.
  socket.write(new Uint8Array([0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0]));
  await waitFor(() => logger.messages().includes("peer input refused"), "the refusal line");
  const fields = { reason: "malformed frame", count: 1 };
  expect(logger.lines[0]).toEqual({ level: "warn", message: "peer input refused", fields });
  socket.end();
});

test("a message with a frame over the limit is dropped, counted and logged as an error; others still go", async () => {
  const logger = new CollectingLogger();
  const frameSizeBytesMax = 2048;
  const first = await startNode(1, 0, logger, undefined, frameSizeBytesMax);
  const second = await startNode(2, 0);
  const received: number[] = [];
  second.onMessage((message) => received.push(message.type === "heartbeat" ? message.commit : -1));
  const peers = new Map([[1, `127.0.0.1:${first.listenAddress.port}`], [2, `127.0.0.1:${second.listenAddress.port}`]]);
  first.setPeers(peers);
  second.setPeers(peers);
  const entries = [{ index: 1, term: 1, kind: "normal" as const, data: new Uint8Array(frameSizeBytesMax) }];
  const append = { type: "append" as const, from: 1, to: 2, term: 1, prevIndex: 0, prevTerm: 0, commit: 0, entries };
  first.send([append, heartbeat(1, 2, 7)]);
  await waitFor(() => received.includes(7), "the heartbeat sent after the dropped append");
  expect(received).toEqual([7]);
  expect(first.stats().messagesDroppedTooLarge).toBe(1);
  const dropped = logger.lines.filter((line) => line.level === "error");
  expect(dropped).toEqual([{
    level: "error",
    message: "peer message dropped: its frame is over the peer frame limit (a bug: Raft sizes must fit)",
    fields: {
      peer: "n2", group: 0, type: "append", frame_bytes: expect.any(Number), limit_bytes: frameSizeBytesMax, count: 1,
    },
  }]);
  expect(dropped[0].fields.frame_bytes as number).toBeGreaterThan(frameSizeBytesMax);
});
