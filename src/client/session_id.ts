/**
 * Client session identities: the key under which servers deduplicate a client's resent writes
 * (see the Raft dissertation §6.3). hyperid gives ids that are unique across processes (a
 * random UUID per process) and within one (a counter), at the cost of a counter increment, so
 * every connect() gets its own session without a system call for randomness.
 */
import hyperid from "hyperid";

/** 33 ASCII bytes: a url-safe UUID and a fixed-width counter; under the server's session id limit. */
const nextSessionId = hyperid({ fixedLength: true, urlSafe: true });
const asciiEncoder = new TextEncoder();

export function newSessionId(): Uint8Array {
  return asciiEncoder.encode(nextSessionId());
}
