/**
 * Readers of replies (see ReplyReader in pending_requests.ts): each turns a reply into what a
 * call of the public client resolves with, or throws the reply's status as a FileStoreError.
 * Each call resolves straight from the reply, with no async wrapper between the wire and the
 * caller. readGetValue is also recognised by identity for found gets answered in the laid-out
 * form, which resolve with their value without a Reply object (PendingRequests.answerFoundGet).
 */
import type { Reply } from "../net/messages.ts";
import { FileStoreError } from "./errors.ts";
import type { BatchOutcome } from "./types.ts";

/** The reply if OK (or NOT_FOUND when `notFoundIsOk`), else its status as a FileStoreError. */
function expectOk(reply: Reply, notFoundIsOk = false): Reply {
  if (reply.status === "OK" || (notFoundIsOk && reply.status === "NOT_FOUND")) return reply;
  throw new FileStoreError(reply.status, reply.message, reply.leaderHint);
}

export const okReply = (reply: Reply): Reply => expectOk(reply);

export function readGetValue(reply: Reply): Uint8Array | null {
  expectOk(reply, true);
  // The decoder copied the value out of the receive buffer already (response_codec.ts).
  return reply.result.kind === "get" ? reply.result.value : null;
}

function writeOutcome(reply: Reply): { applied: boolean; version: number } {
  expectOk(reply);
  if (reply.result.kind !== "write") throw new FileStoreError("INTERNAL", "reply to a write carries no write result");
  return reply.result.outcome;
}

export const readPutVersion = (reply: Reply): { version: bigint } => ({ version: BigInt(writeOutcome(reply).version) });
export const readApplied = (reply: Reply): boolean => writeOutcome(reply).applied;

export function readBatchOutcome(reply: Reply): BatchOutcome {
  expectOk(reply);
  if (reply.result.kind !== "batch") throw new FileStoreError("INTERNAL", "reply to a batch carries no batch result");
  return { succeeded: reply.result.succeeded, version: BigInt(reply.result.version) };
}
