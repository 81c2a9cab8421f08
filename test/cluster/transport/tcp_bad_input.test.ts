/**
 * Bad input on the peer port: each case opens a raw socket, sends something a peer must not,
 * and checks that the transport closed that connection (or, for a bad message of one group,
 * dropped it and kept the connection, which carries the other groups), counted it under the
 * right reason, and still delivers messages from a real peer.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import * as flatbuffers from "flatbuffers";
import { Body, Envelope, PeerHello } from "../../../schemas/generated/filestore_generated";
import type { Message } from "../../../src/cluster/raft/types.ts";
import {
  decodePeerFrame, encodeHelloFrame, encodeMessageFrame, peerProtocolVersion,
} from "../../../src/cluster/transport/peer_codec.ts";
import { startTcpPeerTransport } from "../../../src/cluster/transport/tcp_peer_transport.ts";
import type { PeerRejections, TcpPeerTransport } from "../../../src/cluster/transport/types.ts";
import { clientGetFrame } from "./sample_messages.ts";
import { waitFor } from "../../support/wait_for.ts";
import { CollectingLogger } from "../../util/collecting_logger.ts";

const clusterId = "bad-input-cluster";
/** Heartbeats resent (5 ms apart) until one from the good peer lands. */
const resendsMax = 2000;
const builder = new flatbuffers.Builder(1024);
let target: TcpPeerTransport;
let goodPeer: TcpPeerTransport;
const received: Message[] = [];
const logger = new CollectingLogger();

beforeAll(async () => {
  const listen = { host: "127.0.0.1", port: 0 };
  target = await startTcpPeerTransport({ nodeId: 1, clusterId, listen, peers: new Map(), logger });
  goodPeer = await startTcpPeerTransport({ nodeId: 2, clusterId, listen: { host: "127.0.0.1", port: 0 }, peers: new Map() });
  const peers = new Map([
    [1, `127.0.0.1:${target.listenAddress.port}`],
    [2, `127.0.0.1:${goodPeer.listenAddress.port}`],
    [3, "127.0.0.1:1"],
  ]);
  target.setPeers(peers);
  goodPeer.setPeers(peers);
  target.onMessage((message) => received.push(message));
});

afterAll(async () => {
  await target.close();
  await goodPeer.close();
});

/** Sends `chunks` on a raw connection to the target; resolves with what came back once the target closed it. */
async function sendRaw(chunks: Uint8Array[], endAfterSending = false): Promise<Uint8Array> {
  const { promise: closed, resolve } = Promise.withResolvers<void>();
  const returned: number[] = [];
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port: target.listenAddress.port,
    socket: { data: (_socket, chunk) => void returned.push(...chunk), close: () => resolve(), error: () => resolve() },
  });
  for (const chunk of chunks) socket.write(chunk);
  if (endAfterSending) socket.end();
  await closed;
  return new Uint8Array(returned);
}

async function expectGoodPeerStillDelivers(): Promise<void> {
  const before = received.length;
  let commit = 0;
  // Best effort: a send may be lost while the connection is set up, so resend until one lands.
  const deliveredOrResent = () => {
    if (received.length > before) return true;
    goodPeer.send([{ type: "heartbeat", from: 2, to: 1, term: 1, commit: ++commit, context: null, round: 0 }]);
    return false;
  };
  await waitFor(deliveredOrResent, "delivery from the good peer", { attemptsMax: resendsMax });
  expect(received.slice(before).every((message) => message.from === 2)).toBe(true);
}

async function expectRejected(reason: keyof PeerRejections, chunks: Uint8Array[]): Promise<Uint8Array> {
  const before = target.stats().rejected[reason];
  const returned = await sendRaw(chunks);
  expect(target.stats().rejected[reason]).toBe(before + 1);
  await expectGoodPeerStillDelivers();
  return returned;
}

const hello = (cluster: string, node: number) => encodeHelloFrame(builder, cluster, node).slice();
const heartbeatFrame = (from: number, to: number, group = 0) =>
  encodeMessageFrame(builder, group, heartbeatFrom(from, to)).slice();
const heartbeatFrom = (from: number, to: number): Message =>
  ({ type: "heartbeat", from, to, term: 1, commit: 5, context: null, round: 0 });

/** A hello as a node of another peer protocol version would write it. */
function helloOfVersion(node: number, version: number): Uint8Array {
  builder.clear();
  const body = PeerHello.createPeerHello(builder, builder.createString(clusterId), node, version);
  Envelope.startEnvelope(builder);
  Envelope.addBodyType(builder, Body.PeerHello);
  Envelope.addBody(builder, body);
  builder.finish(Envelope.endEnvelope(builder));
  const envelope = builder.asUint8Array();
  const frame = new Uint8Array(4 + envelope.length);
  new DataView(frame.buffer).setUint32(0, envelope.length, true);
  frame.set(envelope, 4);
  return frame;
}

test("a FileStore client request on the peer port is refused as client protocol", async () => {
  await expectRejected("clientProtocol", [clientGetFrame()]);
});

test("a hello from a node not in the peer list is refused", async () => {
  await expectRejected("unknownNode", [hello(clusterId, 7)]);
});

test("a hello claiming this node's own id is refused", async () => {
  await expectRejected("unknownNode", [hello(clusterId, 1)]);
});

test("a hello from another cluster is refused", async () => {
  await expectRejected("wrongClusterId", [hello("other-cluster", 2)]);
});

test("garbage with a plausible length is refused as malformed", async () => {
  const garbage = new Uint8Array(64).map((_, index) => (index * 37 + 11) & 0xff);
  new DataView(garbage.buffer).setUint32(0, 60, true);
  await expectRejected("malformedFrame", [garbage]);
});

test("a length prefix past the frame limit is refused before the frame arrives", async () => {
  const prefix = new Uint8Array(4);
  new DataView(prefix.buffer).setUint32(0, 0xffff_fff0, true);
  await expectRejected("malformedFrame", [prefix]);
});

test("a first frame larger than any hello is refused before it is buffered", async () => {
  const prefix = new Uint8Array(4);
  new DataView(prefix.buffer).setUint32(0, 1024 * 1024, true);
  await expectRejected("malformedFrame", [prefix, new Uint8Array(1024)]);
});

test("a hello that arrives a byte at a time is accepted", async () => {
  const before = received.length;
  const socket = await Bun.connect({ hostname: "127.0.0.1", port: target.listenAddress.port, socket: { data: () => {} } });
  const frames = [...hello(clusterId, 3), ...heartbeatFrame(3, 1)];
  for (const byte of frames) {
    socket.write(new Uint8Array([byte]));
    socket.flush();
    await Bun.sleep(0);
  }
  await waitFor(() => received.length === before + 1, "the slow peer's message");
  socket.end();
});

test("a message before any hello is refused", async () => {
  await expectRejected("malformedFrame", [heartbeatFrame(2, 1)]);
});

/** A raw connection to the target that reads nothing back. */
function connectRaw() {
  return Bun.connect({ hostname: "127.0.0.1", port: target.listenAddress.port, socket: { data: () => {} } });
}

test("a message to another replica, or not from the hello's node, is dropped and counted; the connection stays", async () => {
  const before = received.length;
  const misaddressedBefore = target.stats().rejected.misaddressed;
  const socket = await connectRaw();
  // The connection carries every group's messages: one bad message must not cost the others theirs.
  socket.write(new Uint8Array([...hello(clusterId, 3), ...heartbeatFrame(3, 2), ...heartbeatFrame(2, 1)]));
  socket.write(heartbeatFrame(3, 1));
  await waitFor(() => received.length === before + 1, "the valid message after the misaddressed ones");
  expect(target.stats().rejected.misaddressed).toBe(misaddressedBefore + 2);
  expect(received.slice(before)).toEqual([heartbeatFrom(3, 1)]);
  socket.end();
});

test("a hello of another protocol version is refused, counted, logged and answered with a typed refusal", async () => {
  for (const version of [1, peerProtocolVersion + 1]) {
    const returned = await expectRejected("protocolVersion", [helloOfVersion(3, version), heartbeatFrame(3, 1)]);
    const reason = `peer protocol version ${version} refused: this node speaks version ${peerProtocolVersion}`;
    expect(decodePeerFrame(returned.subarray(4))).toEqual({ kind: "versionRefusal", nodeId: 3, reason });
  }
  // The first refusal is written at once; a repeat within the second is counted into a later line.
  const reason = "hello of another peer protocol version";
  const fields = { reason, version: 1, expected: peerProtocolVersion, count: 1 };
  expect(logger.lines.filter((line) => line.message === "peer input refused" && line.fields.version !== undefined))
    .toEqual([{ level: "warn", message: "peer input refused", fields }]);
});

test("a message of a group this node does not hold is dropped and counted; the connection carries on", async () => {
  const before = received.length;
  const unknownGroupBefore = target.stats().rejected.unknownGroup;
  const socket = await connectRaw();
  socket.write(new Uint8Array([...hello(clusterId, 3), ...heartbeatFrame(3, 1, 77), ...heartbeatFrame(3, 1)]));
  await waitFor(() => received.length === before + 1, "the group-0 message after the unknown group's");
  expect(target.stats().rejected.unknownGroup).toBe(unknownGroupBefore + 1);
  expect(received.slice(before)).toEqual([heartbeatFrom(3, 1)]);
  socket.end();
});

test("a message whose group field lies outside its frame is refused as malformed", async () => {
  const frame = heartbeatFrame(3, 1, 5);
  // The PeerMessage table's vtable slot of `group` (field 5) made to point far past the frame.
  const envelope = frame.subarray(4);
  const bytes = new flatbuffers.ByteBuffer(envelope);
  const root = Envelope.getRootAsEnvelope(bytes);
  const table = bytes.__indirect(root.bb_pos + bytes.__offset(root.bb_pos, 20));
  const vtable = table - bytes.readInt32(table);
  expect(bytes.readInt16(vtable + 4 + 2 * 5)).toBeGreaterThan(0);
  new DataView(envelope.buffer, envelope.byteOffset).setInt16(vtable + 4 + 2 * 5, 0x7ff0, true);
  await expectRejected("malformedFrame", [hello(clusterId, 3), frame]);
});

test("a truncated frame followed by a hang-up delivers nothing and harms nothing", async () => {
  const frame = heartbeatFrame(3, 1);
  const before = received.length;
  await sendRaw([hello(clusterId, 3), frame.subarray(0, frame.length - 5)], true);
  expect(received.length).toBe(before);
  await expectGoodPeerStillDelivers();
});

test("a message from a listed node after a valid hello is delivered", async () => {
  const before = received.length;
  const socket = await Bun.connect({ hostname: "127.0.0.1", port: target.listenAddress.port, socket: { data: () => {} } });
  socket.write(hello(clusterId, 3));
  socket.write(heartbeatFrame(3, 1));
  await waitFor(() => received.length === before + 1, "the raw peer's message");
  expect(received[received.length - 1]).toEqual({ type: "heartbeat", from: 3, to: 1, term: 1, commit: 5, context: null, round: 0 });
  socket.end();
});
