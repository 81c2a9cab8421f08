/**
 * Checks a message from the network before the core trusts it. A peer with a bug, a
 * corrupted frame or a misrouted message must get a typed refusal (InvalidMessageError),
 * never an assertion crash or a damaged log on this node.
 */
import { InvalidMessageError } from "./errors.ts";
import type { Entry, Message, NodeId } from "./types.ts";

const isCount = (value: unknown): value is number => typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
const isNodeId = (value: unknown): value is number => isCount(value) && value > 0 && value <= 0xffffffff;

export function checkMessage(message: Message, self: NodeId): void {
  if (message === null || typeof message !== "object") throw new InvalidMessageError("not a message object");
  if (message.to !== self) throw new InvalidMessageError(`addressed to ${message.to}, this is ${self}`);
  if (!isNodeId(message.from) || message.from === self) throw new InvalidMessageError(`bad sender ${message.from}`);
  if (!isCount(message.term)) throw new InvalidMessageError(`bad term ${message.term}`);
  switch (message.type) {
    case "vote":
    case "preVote":
      return requireCounts(message.type, [message.lastIndex, message.lastTerm]);
    case "append":
      requireCounts(message.type, [message.prevIndex, message.prevTerm, message.commit]);
      return checkEntries(message.entries, message.prevIndex, message.prevTerm, message.term);
    case "appendResponse":
      return requireCounts(message.type, [message.index, message.hintIndex, message.hintTerm]);
    case "heartbeat":
      requireCounts(message.type, [message.commit, message.round]);
      if (message.quiesce !== undefined && typeof message.quiesce !== "boolean") {
        throw new InvalidMessageError("heartbeat: quiesce is not a flag");
      }
      return requireContext(message.context);
    case "heartbeatResponse":
      requireCounts(message.type, [message.round]);
      return requireContext(message.context);
    case "snapshot":
      return checkSnapshotChunk(message);
    case "snapshotResponse":
      return requireCounts(message.type, [message.snapshotIndex, message.receivedBytes]);
    case "voteResponse":
    case "preVoteResponse":
    case "timeoutNow":
      return;
    default:
      throw new InvalidMessageError(`unknown message type ${String((message as { type: unknown }).type)}`);
  }
}

function requireCounts(type: string, values: unknown[]): void {
  if (!values.every(isCount)) throw new InvalidMessageError(`${type}: an index or term is not a non-negative integer`);
}

function requireContext(context: unknown): void {
  if (context !== null && !(context instanceof Uint8Array)) throw new InvalidMessageError("read context is not bytes");
}

/** Entries must follow prevIndex one by one, with terms never falling and never past the sender's. */
function checkEntries(entries: Entry[], prevIndex: number, prevTerm: number, messageTerm: number): void {
  if (!Array.isArray(entries)) throw new InvalidMessageError("append: entries is not a list");
  let previousTerm = prevTerm;
  for (let offset = 0; offset < entries.length; offset++) {
    const entry = entries[offset]!;
    if (entry.index !== prevIndex + 1 + offset) throw new InvalidMessageError(`append: entry ${offset} has index ${entry.index}, expected ${prevIndex + 1 + offset}`);
    if (!isCount(entry.term) || entry.term < previousTerm || entry.term > messageTerm) throw new InvalidMessageError(`append: entry ${entry.index} has term ${entry.term}`);
    if (entry.kind !== "normal" && entry.kind !== "config") throw new InvalidMessageError(`append: entry ${entry.index} has kind ${String(entry.kind)}`);
    if (!(entry.data instanceof Uint8Array)) throw new InvalidMessageError(`append: entry ${entry.index} data is not bytes`);
    previousTerm = entry.term;
  }
}

function checkSnapshotChunk(message: Extract<Message, { type: "snapshot" }>): void {
  const { metadata, offset, chunk, totalBytes } = message;
  requireCounts("snapshot", [metadata?.index, metadata?.term, offset, totalBytes]);
  if (!(chunk instanceof Uint8Array) || offset + chunk.length > totalBytes) throw new InvalidMessageError("snapshot: chunk outside the snapshot");
  if (message.done && offset + chunk.length !== totalBytes) throw new InvalidMessageError("snapshot: last chunk does not end the snapshot");
  const voters = metadata.confState?.voters;
  const learners = metadata.confState?.learners;
  if (!Array.isArray(voters) || !Array.isArray(learners) || ![...voters, ...learners].every(isNodeId)) {
    throw new InvalidMessageError("snapshot: bad membership");
  }
}
