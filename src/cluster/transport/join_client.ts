/**
 * One join conversation, from the joining node's side (join_codec.ts): dial a member's peer
 * port, send the JoinRequest, read the one JoinAnswer frame, close. What is not an answer is a
 * JoinExchangeError saying in words what the address turned out to be: nothing listening, not a
 * FileStore peer port (it wrote something that is no join answer, or more than an answer can
 * be), closed without answering (a node that takes no joins, or of an older version), or silent
 * past joinAnswerWaitMs. The caller (src/cluster/node/cluster_join.ts) decides what to do next.
 */
import type { Socket } from "bun";
import * as flatbuffers from "flatbuffers";
import { formatHostPort, type HostPort } from "../../config/address.ts";
import { systemErrorText } from "../../util/system_error_text.ts";
import { lengthPrefixBytes } from "./envelope_frame.ts";
import { decodeJoinAnswerFrame, encodeJoinRequestFrame, joinAnswerFrameBytesMax } from "./join_codec.ts";
import type { JoinAnswer, JoinRequest } from "./join_codec.ts";
import { PeerFrameError } from "./peer_frame_error.ts";
import { joinAnswerWaitMs } from "./transport_limits.ts";
import type { PeerDialer } from "./types.ts";

/** The address gave no join answer; `message` says what it did instead. */
export class JoinExchangeError extends Error {
  override name = "JoinExchangeError";
}

/** Asks the node at `address` to let `request`'s node join; resolves with its answer. */
export function exchangeJoin(
  address: HostPort,
  request: JoinRequest,
  dial: PeerDialer = Bun.connect,
): Promise<JoinAnswer> {
  const where = formatHostPort(address);
  const frame = encodeJoinRequestFrame(new flatbuffers.Builder(512), request);
  const { promise, resolve, reject } = Promise.withResolvers<JoinAnswer>();
  const reader = new AnswerReader();
  let settled = false;
  let socket: Socket<undefined> | null = null;
  const finish = (outcome: JoinAnswer | JoinExchangeError): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket?.terminate();
    if (outcome instanceof JoinExchangeError) reject(outcome);
    else resolve(outcome);
  };
  const timer = setTimeout(() => {
    finish(new JoinExchangeError(`${where} gave no join answer within ${joinAnswerWaitMs} ms`));
  }, joinAnswerWaitMs);
  const closedEarly = `${where} closed the connection without a join answer: not a peer port of a FileStore node ` +
    "that takes joins (an older version, or a node of one group)";
  dial({
    hostname: address.host,
    port: address.port,
    socket: {
      open: (opened) => {
        socket = opened;
        if (settled) opened.terminate();
        else opened.write(frame);
      },
      data: (_socket, chunk) => {
        const answer = reader.feed(chunk, where);
        if (answer !== null) finish(answer);
      },
      close: () => finish(new JoinExchangeError(closedEarly)),
      error: (_socket, error) => finish(new JoinExchangeError(`${where}: ${systemErrorText(error)}`)),
      connectError: (_socket, error) => finish(unreachable(where, error)),
    },
  }).catch((error: unknown) => finish(unreachable(where, error)));
  return promise;
}

function unreachable(where: string, error: unknown): JoinExchangeError {
  return new JoinExchangeError(`cannot reach ${where}: ${systemErrorText(error)}`);
}

/** Gathers the one answer frame; a JoinExchangeError (as a result) for what cannot be one. */
class AnswerReader {
  private buffered = new Uint8Array(0);

  feed(chunk: Uint8Array, where: string): JoinAnswer | JoinExchangeError | null {
    const joined = new Uint8Array(this.buffered.length + chunk.length);
    joined.set(this.buffered);
    joined.set(chunk, this.buffered.length);
    this.buffered = joined;
    if (joined.length < lengthPrefixBytes) return null;
    const length = new DataView(joined.buffer).getUint32(0, true);
    const notPeerPort = `${where} is not a FileStore peer port (it answered something other than a join answer)`;
    if (length > joinAnswerFrameBytesMax) return new JoinExchangeError(notPeerPort);
    if (joined.length < lengthPrefixBytes + length) return null;
    try {
      return decodeJoinAnswerFrame(joined.subarray(lengthPrefixBytes, lengthPrefixBytes + length));
    } catch (error) {
      if (!(error instanceof PeerFrameError)) throw error;
      return new JoinExchangeError(`${notPeerPort}: ${error.message}`);
    }
  }
}
