/** Public option and value types of the client. */
import type { ConsistencyLevel, TraceContext } from "../net/messages";

export type Bytes = string | Uint8Array;
export type { ConsistencyLevel, TraceContext };

export interface ClientOptions {
  /** Default deadline of each request, from the call until its reply (default 1000). */
  timeoutMs?: number;
  /** Deadline to open a connection and get the server's first answer (default: timeoutMs). */
  connectTimeoutMs?: number;
  /** Requests sent and unanswered on the connection; more wait in a local queue (default 4096). */
  inflightRequestsMax?: number;
  /** Requests waiting in the local queue; past it calls fail with OVERLOADED (default 1,000,000). */
  queuedRequestsMax?: number;
  /** Largest request frame, as configured on the server (default 16 MiB). Larger ones fail with TOO_LARGE before sending. */
  frameSizeBytesMax?: number;
  /**
   * The addresses are replicas of one Raft group: requests go to the leader, follow NOT_LEADER
   * hints and retry through elections within their deadline (default false: one server).
   */
  cluster?: boolean;
}

export interface RequestOptions {
  timeoutMs?: number;
  consistency?: ConsistencyLevel;
  /** With consistency "bounded": how far behind the leader a replica may be. */
  maxStalenessMs?: number;
  /** W3C trace context (16-byte trace id, 8-byte parent span id) carried to the server. */
  trace?: TraceContext;
}

export type BatchOperation =
  | { op: "put"; key: Bytes; value: Bytes }
  | { op: "delete"; key: Bytes }
  /** expected null: only when the key is absent. */
  | { op: "cas"; key: Bytes; expected: Bytes | null; value: Bytes };

export interface BatchOutcome {
  /** False when a cas in it did not match: then nothing in it was applied. */
  succeeded: boolean;
  version: bigint;
}

export interface ScanRequestOptions extends RequestOptions {
  /** Keys starting with these bytes. Not with start/end. */
  prefix?: Bytes;
  /** Inclusive lower bound. */
  start?: Bytes;
  /** Exclusive upper bound. */
  end?: Bytes;
  /** Most entries to yield in all (default: no limit). */
  limit?: number;
  /** Entries fetched per request (default 1000, capped by the server). */
  pageSize?: number;
}

export interface ScanEntry {
  key: Uint8Array;
  value: Uint8Array;
  version: bigint;
}
