/**
 * Public option and value types of the client. They stand alone (no import from the server's
 * modules), so the published declarations (dist/client/*.d.ts) are these files and nothing else;
 * test/client/public_types.test.ts checks that they agree with the wire's own types.
 */

export type Bytes = string | Uint8Array;

/**
 * `strong`: linearizable (the leader, after a ReadIndex round); `bounded`: any replica at most
 * `maxStalenessMs` behind; `eventual`: any replica.
 */
export type ConsistencyLevel = "strong" | "bounded" | "eventual";

/** W3C trace context: a 16-byte trace id and the 8-byte id of the caller's span. */
export interface TraceContext {
  traceId: Uint8Array;
  spanId: Uint8Array;
}

/** Options of connect(); a bad or unknown one makes connect reject with INVALID_REQUEST naming it. */
export interface ClientOptions {
  /** Default deadline of each request in ms, from the call until its reply: an integer, 1 to 2^31-1 (default 1000). */
  timeoutMs?: number;
  /** Deadline in ms to open a connection and get the server's first answer (default: timeoutMs). */
  connectTimeoutMs?: number;
  /** Requests sent and unanswered on the connection; more wait in a local queue (default 4096). */
  inflightRequestsMax?: number;
  /** Requests waiting in the local queue; past it calls fail with OVERLOADED (default 1,000,000). */
  queuedRequestsMax?: number;
  /** Largest request frame, as configured on the server (default 16 MiB). Larger ones fail with TOO_LARGE before sending. */
  frameSizeBytesMax?: number;
  /**
   * true: the addresses are members of one replicated group (a list of several, or a single
   * one to start from): requests go to the leader, follow NOT_LEADER hints and retry through
   * elections within their deadline. false: the addresses are one server, reachable at any of
   * them: the client uses the first that answers and, after a lost connection, the next.
   * Default: true for a list, false for a single address.
   */
  cluster?: boolean;
}

/** Options of a write (put, delete, cas, batch). */
export interface WriteOptions {
  /** Deadline in ms for this call (default: the client's timeoutMs). */
  timeoutMs?: number;
  /** W3C trace context carried to the server. */
  trace?: TraceContext;
}

/** Options of a read (get, scan). */
export interface RequestOptions extends WriteOptions {
  /** Default "strong". */
  consistency?: ConsistencyLevel;
  /** With consistency "bounded" (required there, refused elsewhere): how far behind its leader a replica may be, ms. */
  maxStalenessMs?: number;
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
  /** Most entries to yield in all: a positive integer (default: no limit). */
  limit?: number;
  /** Entries fetched per request: a positive integer (default 1000, capped by the server). */
  pageSize?: number;
  /**
   * Where to resume: the cursor of a page scanPage() returned, with the same prefix or range.
   * Across shards it records the last key given and the shards finished (see scanPage).
   */
  cursor?: string;
}

/** A page of a scan and where the next one starts. */
export interface ScanPage {
  /** In key order, across every shard the scan visits. */
  entries: ScanEntry[];
  /** Pass it as `cursor` (with the same prefix or range) for the next page; null when the scan is done. */
  cursor: string | null;
}

export interface ScanEntry {
  key: Uint8Array;
  value: Uint8Array;
  version: bigint;
}

/**
 * A connection to FileStore (connect() makes one). Every call returns a promise and never
 * throws: a bad argument or option rejects it with INVALID_REQUEST, and nothing is sent.
 */
export interface FileStore {
  /** The value, or null when the key is absent. */
  get(key: Bytes, options?: RequestOptions): Promise<Uint8Array | null>;
  put(key: Bytes, value: Bytes, options?: WriteOptions): Promise<{ version: bigint }>;
  /** True when the key existed. */
  delete(key: Bytes, options?: WriteOptions): Promise<boolean>;
  /** Writes `next` only when the key holds `expected` (null: only when absent); true when it did. */
  cas(key: Bytes, expected: Bytes | null, next: Bytes, options?: WriteOptions): Promise<boolean>;
  /** All or nothing, in one revision. */
  batch(operations: BatchOperation[], options?: WriteOptions): Promise<BatchOutcome>;
  /**
   * Entries in key order, fetched a page at a time as the loop asks for them. In a sharded
   * cluster, from every shard the prefix or range touches (one shard when all its keys share a
   * partition key, e.g. prefix "orders/u1/"), merged in key order; each shard's part is as of the
   * moment it was read, so a scan across shards is not one snapshot.
   */
  scan(options?: ScanRequestOptions): AsyncGenerator<ScanEntry>;
  /**
   * One page of at most `pageSize` (and `limit`) entries, with a cursor that resumes after it,
   * in this process or another. A page may come back empty with a null cursor when the one
   * before ended exactly at the end.
   */
  scanPage(options?: ScanRequestOptions): Promise<ScanPage>;
  /** Lets requests in flight finish (each within its deadline), then closes the connection(s). */
  close(): Promise<void>;
}
