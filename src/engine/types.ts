/**
 * Contract of the storage engine (src/engine/): the state machine that applies commands
 * and serves reads. It knows nothing of the network or Raft. Keys and values are bytes;
 * keys are ordered bytewise (memcmp) for scans.
 *
 * Every applied write advances one store-wide revision (as etcd's revision); each key
 * carries the revision of its last write (`version`, as etcd's mod_revision). An atomic
 * batch takes a single revision for all its writes.
 */

export type Command =
  | { op: "put"; key: Uint8Array; value: Uint8Array }
  | { op: "delete"; key: Uint8Array }
  /** expected === null: succeed only when the key is absent. */
  | { op: "cas"; key: Uint8Array; expected: Uint8Array | null; value: Uint8Array }
  /** All or nothing: when any cas in it fails, nothing in it applies. */
  | { op: "batch"; commands: Array<Exclude<Command, { op: "batch" }>> };

export type CommandResult =
  | { op: "put"; version: number }
  | { op: "delete"; existed: boolean; version: number }
  | { op: "cas"; succeeded: boolean; version: number }
  | { op: "batch"; succeeded: boolean; version: number; results: CommandResult[] };

export interface Entry {
  key: Uint8Array;
  /** A view into mapped or cached storage; copy it before keeping it past the next write. */
  value: Uint8Array;
  version: number;
}

/** What a get answers with: an Entry without its key. */
export type FoundValue = Pick<Entry, "value" | "version">;

export interface ScanOptions {
  /** Keys starting with these bytes. Exclusive of start/end. */
  prefix?: Uint8Array;
  /** Inclusive lower bound. */
  start?: Uint8Array;
  /** Exclusive upper bound. */
  end?: Uint8Array;
  /** At most this many entries (bounded by the engine's scan limit). */
  limit: number;
  /** Resume after this key (the `nextCursor` of a previous page). */
  cursor?: Uint8Array;
}

export interface ScanPage {
  entries: Entry[];
  /** Present when more entries may follow; pass it back as `cursor`. */
  nextCursor: Uint8Array | null;
}

export interface EngineStats {
  keys: number;
  revision: number;
  logBytes: number;
  liveValueBytes: number;
  indexBytesEstimate: number;
}
