/**
 * The join exchange on the peer port (join_codec.ts, join_client.ts, the transport's side in
 * tcp_peer_transport.ts and inbound_connection.ts): both frames round-trip and fail closed (every
 * one-byte change of a valid frame is refused or decodes to a valid one), the verifier's rules
 * match the generated code; a member's transport answers with its handler's decision, refuses
 * another cluster id, another protocol version and, with no handler, a node of no sharded
 * cluster, turns a failing handler into NotReady, and closes a join conversation that sends more
 * than its request; the joining side names what an address that gives no answer turned out to be.
 */
import type { Socket } from "bun";
import { afterAll, describe, expect, test } from "bun:test";
import * as flatbuffers from "flatbuffers";
import { exchangeJoin } from "../../../src/cluster/transport/join_client.ts";
import {
  decodeJoinAnswerFrame, encodeJoinAnswerFrame, encodeJoinRequestFrame, type JoinAnswer, type JoinRequest,
} from "../../../src/cluster/transport/join_codec.ts";
import { decodePeerFrame, peerProtocolVersion } from "../../../src/cluster/transport/peer_codec.ts";
import { PeerFrameError } from "../../../src/cluster/transport/peer_frame_error.ts";
import {
  joinAnswerEnvelopeRule, joinAnswerRule, joinMemberRule, joinRequestRule,
} from "../../../src/cluster/transport/peer_schema_rules.ts";
import { startTcpNodeTransport } from "../../../src/cluster/transport/tcp_peer_transport.ts";
import type { TcpNodeTransport } from "../../../src/cluster/transport/types.ts";
import { generatedSlots, ruleSlots } from "../../wire/generated_slots.ts";

const builder = new flatbuffers.Builder(1024);
const withoutPrefix = (frame: Uint8Array) => frame.subarray(4).slice();
const clusterId = "join-cluster";
const request: JoinRequest = {
  protocolVersion: peerProtocolVersion, clusterId, nodeId: 4, name: "n4", peerAddress: "127.0.0.1:7503",
};
const answers: JoinAnswer[] = [
  { kind: "accepted", members: [{ nodeId: 1, peerAddress: "127.0.0.1:7500" }, { nodeId: 2, peerAddress: "h2:7501" }] },
  { kind: "redirect", leaderPeer: "127.0.0.1:7502", reason: "this node does not lead the coordinator" },
  { kind: "notReady", reason: "an election" },
  { kind: "refused", code: "NODE_CONFLICT", reason: "node n4 is already a member" },
];

describe("join frames", () => {
  test("a request round-trips as the first frame of a peer connection", () => {
    const decoded = decodePeerFrame(withoutPrefix(encodeJoinRequestFrame(builder, request)));
    expect(decoded).toEqual({ kind: "joinRequest", request });
  });

  for (const answer of answers) {
    test(`${answer.kind} round-trips`, () => {
      expect(decodeJoinAnswerFrame(withoutPrefix(encodeJoinAnswerFrame(builder, answer)))).toEqual(answer);
    });
  }

  test("answers that break the rules are refused: no members, too many, a redirect nowhere", () => {
    const bad: JoinAnswer[] = [
      { kind: "accepted", members: [] },
      { kind: "accepted", members: [1, 2, 3, 4, 5, 6].map((nodeId) => ({ nodeId, peerAddress: `h${nodeId}:1` })) },
      { kind: "redirect", leaderPeer: "", reason: "" },
    ];
    for (const answer of bad) {
      const frame = withoutPrefix(encodeJoinAnswerFrame(builder, answer));
      expect(() => decodeJoinAnswerFrame(frame)).toThrow(PeerFrameError);
    }
  });

  test("a request without its name or peer address is refused", () => {
    for (const broken of [{ ...request, name: "" }, { ...request, peerAddress: "" }, { ...request, nodeId: 0 }]) {
      expect(() => decodePeerFrame(withoutPrefix(encodeJoinRequestFrame(builder, broken)))).toThrow(PeerFrameError);
    }
  });

  test("every one-byte change of a request or an answer is refused or decodes to a valid one", () => {
    const requestFrame = withoutPrefix(encodeJoinRequestFrame(builder, request));
    forEachByteChange(requestFrame, (changed) => {
      const decoded = decodePeerFrame(changed);
      if (decoded.kind !== "joinRequest") return;
      const { nodeId, name, peerAddress, clusterId: cluster } = decoded.request;
      expect(nodeId > 0 && name.length > 0 && peerAddress.length > 0 && cluster.length > 0).toBe(true);
    });
    for (const answer of answers) {
      forEachByteChange(withoutPrefix(encodeJoinAnswerFrame(builder, answer)), (changed) => {
        const decoded = decodeJoinAnswerFrame(changed);
        if (decoded.kind === "accepted") expect(decoded.members.every((member) => member.nodeId > 0)).toBe(true);
      });
    }
  });
});

/** Runs `check` on each one-byte change of `frame` (three values per byte); a PeerFrameError is a refusal. */
function forEachByteChange(frame: Uint8Array, check: (changed: Uint8Array) => void): void {
  for (let position = 0; position < frame.length; position++) {
    for (const value of [0, 0xff, frame[position]! ^ 0x01]) {
      const changed = frame.slice();
      changed[position] = value;
      try {
        check(changed);
      } catch (error) {
        if (!(error instanceof PeerFrameError)) throw error;
      }
    }
  }
}

describe("join verifier rules match the generated code", () => {
  for (const rule of [joinRequestRule, joinMemberRule, joinAnswerRule]) {
    test(rule.name, () => expect(ruleSlots(rule.fields)).toEqual(generatedSlots(rule.name)));
  }
  test("Envelope", () => expect(ruleSlots(joinAnswerEnvelopeRule.fields)).toEqual(generatedSlots("Envelope")));
});

const transports: TcpNodeTransport[] = [];
afterAll(async () => {
  for (const transport of transports) await transport.close();
});

async function member(handler?: (request: JoinRequest) => Promise<JoinAnswer>): Promise<TcpNodeTransport> {
  const listen = { host: "127.0.0.1", port: 0 };
  const transport = await startTcpNodeTransport({ nodeId: 1, clusterId, listen, peers: new Map() });
  if (handler !== undefined) transport.acceptJoins(handler);
  transports.push(transport);
  return transport;
}

describe("a member's transport answers a join conversation", () => {
  test("with its handler's answer, given the request as sent", async () => {
    const asked: JoinRequest[] = [];
    const transport = await member(async (received) => {
      asked.push(received);
      return answers[0]!;
    });
    expect(await exchangeJoin(transport.listenAddress, request)).toEqual(answers[0]!);
    expect(asked).toEqual([request]);
  });

  test("refusing another cluster id or protocol version without asking its handler", async () => {
    let asked = 0;
    const transport = await member(async () => {
      asked++;
      return answers[0]!;
    });
    const otherCluster = await exchangeJoin(transport.listenAddress, { ...request, clusterId: "elsewhere" });
    expect(otherCluster).toMatchObject({ kind: "refused", code: "CLUSTER_MISMATCH" });
    const otherVersion = await exchangeJoin(transport.listenAddress, { ...request, protocolVersion: 1 });
    expect(otherVersion).toMatchObject({ kind: "refused", code: "PROTOCOL_VERSION" });
    expect(asked).toBe(0);
  });

  test("refusing as NOT_SHARDED without a handler (a node of one group), NotReady when the handler fails", async () => {
    const single = await member();
    expect(await exchangeJoin(single.listenAddress, request)).toMatchObject({ kind: "refused", code: "NOT_SHARDED" });
    const failing = await member(async () => {
      throw new Error("the coordinator lost its leader");
    });
    const answer = await exchangeJoin(failing.listenAddress, request);
    expect(answer).toEqual({ kind: "notReady", reason: "the coordinator lost its leader" });
  });

  test("closing a join conversation that sends a second frame, unanswered and counted", async () => {
    const transport = await member(async () => answers[0]!);
    const frame = encodeJoinRequestFrame(builder, request);
    const returned = await sendRaw(transport.listenAddress.port, [frame, frame]);
    expect(returned.length).toBe(0);
    expect(transport.stats().rejected.malformedFrame).toBe(1);
  });
});

describe("the joining side names an address that gives no answer", () => {
  test("nothing listening, a listener that closes, one that writes something else", async () => {
    const listen = (open: (socket: Socket<undefined>) => void) =>
      Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open, data: () => {} } });
    const closing = listen((socket) => socket.end());
    const chatty = listen((socket) => void socket.write("HTTP/1.1 400 Bad Request\r\n\r\n"));
    try {
      const nowhere = { host: "127.0.0.1", port: 1 };
      await expect(exchangeJoin(nowhere, request)).rejects.toThrow("cannot reach 127.0.0.1:1: connection refused");
      const closes = exchangeJoin({ host: "127.0.0.1", port: closing.port }, request);
      await expect(closes).rejects.toThrow("closed the connection without a join answer");
      const writes = exchangeJoin({ host: "127.0.0.1", port: chatty.port }, request);
      await expect(writes).rejects.toThrow(`127.0.0.1:${chatty.port} is not a FileStore peer port`);
    } finally {
      closing.stop(true);
      chatty.stop(true);
    }
  });
});

/** Sends `frames` on a raw connection to `port`; resolves with what came back once the other side closed it. */
async function sendRaw(port: number, frames: Uint8Array[]): Promise<Uint8Array> {
  const { promise: closed, resolve } = Promise.withResolvers<void>();
  const returned: number[] = [];
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: { data: (_socket, chunk) => void returned.push(...chunk), close: () => resolve(), error: () => resolve() },
  });
  const joined = new Uint8Array(frames.reduce((total, frame) => total + frame.length, 0));
  let offset = 0;
  for (const frame of frames) {
    joined.set(frame, offset);
    offset += frame.length;
  }
  socket.write(joined);
  await closed;
  return new Uint8Array(returned);
}
