/**
 * Every setting of a FileStore node, as one table: name (the TOML key and the `--flag`), type,
 * bounds, default and documentation. The validator (validate.ts) reads only this table, so a
 * setting added here is parsed, bounded, defaulted and documented in `--help` at once.
 */
import { snapshotEveryEntries } from "../cluster/cluster_limits.ts";
import { shardsMax } from "../cluster/placement/placement_limits.ts";
import type { FsyncMode } from "../log/types.ts";
import { logFormats, logLevels, type LogFormat, type LogLevel } from "../util/logger.ts";
import type { HostPort } from "./address.ts";

export interface FileStoreConfig {
  listen: HostPort;
  admin: HostPort;
  data: string;
  fsync: FsyncMode;
  batchDelayMs: number;
  frameSizeBytesMax: number;
  connectionsMax: number;
  inflightPerConnectionMax: number;
  idleTimeoutMs: number;
  nodeId: string;
  peers: PeerAddress[];
  /** Undefined when not set: a replicated node then listens on its own entry in `peers`. */
  peerListen?: HostPort | undefined;
  snapshotEveryEntries: number;
  /** With peers: 0 runs one Raft group; N > 0 bootstraps a sharded cluster of N shards (src/cluster/node/). */
  shards: number;
  /**
   * true, with peers: a new data folder starts with no members and waits to be added (cluster
   * add-node). An address (the peer port of any member of a sharded cluster): a new data folder
   * joins that cluster (src/cluster/node/cluster_join.ts).
   */
  join: boolean | HostPort;
  logFormat: LogFormat;
  logLevel: LogLevel;
  slowFsyncMs: number;
}

/** A peer of the replicated group: `name` (e.g. "n2") is present when written NAME=HOST:PORT. */
export interface PeerAddress extends HostPort {
  name?: string;
}

type SettingType =
  | { kind: "address" }
  | { kind: "address-list" }
  /** An address, or undefined when given as "". */
  | { kind: "optional-address" }
  | { kind: "path" }
  | { kind: "string" }
  | { kind: "enum"; choices: readonly string[] }
  /** true or false in TOML; as a flag, given without a value (`--join`). */
  | { kind: "boolean" }
  /** true or false (a flag given without a value is true), or HOST:PORT: `--join [HOST:PORT]`. */
  | { kind: "join" }
  | { kind: "integer"; min: number; max: number };

export interface Setting {
  /** TOML key and flag name (kebab-case, unit last). */
  name: string;
  property: keyof FileStoreConfig;
  type: SettingType;
  /** Default as it would be written in the TOML file; validated like any other value. */
  default: string | number | boolean | string[];
  doc: string;
  /** Placeholder for a text value in `filestore help serve` (e.g. NAME); other kinds have their own. */
  valueName?: string;
}

const fsyncModes: readonly FsyncMode[] = ["always", "batch", "unsafe-no-fsync"];

const kibibyte = 1024;
const mebibyte = 1024 * kibibyte;

/**
 * A frame must hold the largest key (4 KiB) plus envelope overhead, so smaller frames would make
 * valid keys unusable; 64 KiB leaves room for a small value beside it.
 */
const frameSizeBytesFloor = 64 * kibibyte;
/** A connection buffers one whole frame in memory; 256 MiB per connection is the most we accept. */
const frameSizeBytesCeiling = 256 * mebibyte;
/** Longer than one second would make every `batch`-mode write wait that long for its fsync. */
const batchDelayMsCeiling = 1000;
/** Beyond this, the process runs into the usual file descriptor limits of the host. */
const connectionsCeiling = 100_000;
/** Per-connection request table size; beyond it one client could hold memory meant for all. */
const inflightPerConnectionCeiling = 65_536;
/** The server sweeps idle connections about every second; a shorter timeout would be imprecise. */
const idleTimeoutMsFloor = 1000;
/** One day: an idle timeout longer than that is no timeout. */
const idleTimeoutMsCeiling = 86_400_000;
/**
 * A healthy fdatasync takes well under a millisecond on local SSDs (about 0.2 ms measured here)
 * and a few on network disks; one of 100 ms adds a tenth of a second to every write waiting on
 * it, far past any latency goal, and is what a failing or saturated disk looks like.
 */
const slowFsyncMsDefault = 100;
/** One minute: a threshold above that would stay silent while writes hang. */
const slowFsyncMsCeiling = 60_000;

export const settings: readonly Setting[] = [
  {
    name: "listen",
    property: "listen",
    type: { kind: "address" },
    default: "127.0.0.1:7400",
    doc: "HOST:PORT for client connections (FlatBuffers over TCP); port 0 picks a free port",
  },
  {
    name: "admin",
    property: "admin",
    type: { kind: "address" },
    default: "127.0.0.1:7401",
    doc: "HOST:PORT of the HTTP admin endpoint (/healthz, /metrics); port 0 picks a free port",
  },
  {
    name: "data",
    property: "data",
    type: { kind: "path" },
    default: "./data",
    doc: "folder holding the log segments and checkpoints; created when missing",
  },
  {
    name: "fsync",
    property: "fsync",
    type: { kind: "enum", choices: fsyncModes },
    default: "always",
    doc: "when a write is acknowledged: always (after fdatasync, group commit), batch (fdatasync within batch-delay-ms), unsafe-no-fsync (never; may lose acknowledged writes on an OS crash)",
  },
  {
    name: "batch-delay-ms",
    property: "batchDelayMs",
    type: { kind: "integer", min: 0, max: batchDelayMsCeiling },
    default: 2,
    doc: "with fsync=batch, the longest a write waits for its fdatasync (milliseconds)",
  },
  {
    name: "frame-size-bytes-max",
    property: "frameSizeBytesMax",
    type: { kind: "integer", min: frameSizeBytesFloor, max: frameSizeBytesCeiling },
    default: 16 * mebibyte,
    doc: "largest request or response frame (bytes); larger frames get TOO_LARGE; below 8 MiB it also lowers the largest value accepted",
  },
  {
    name: "connections-max",
    property: "connectionsMax",
    type: { kind: "integer", min: 1, max: connectionsCeiling },
    default: 1024,
    doc: "client connections open at once; further connections are refused",
  },
  {
    name: "inflight-per-connection-max",
    property: "inflightPerConnectionMax",
    type: { kind: "integer", min: 1, max: inflightPerConnectionCeiling },
    default: 8192,
    doc: "pipelined requests one connection may have unanswered; past it requests get OVERLOADED",
  },
  {
    name: "idle-timeout-ms",
    property: "idleTimeoutMs",
    type: { kind: "integer", min: idleTimeoutMsFloor, max: idleTimeoutMsCeiling },
    default: 300_000,
    doc: "close a client connection silent for this long (milliseconds)",
  },
  {
    name: "node-id",
    property: "nodeId",
    type: { kind: "string" },
    default: "",
    valueName: "NAME",
    doc:
      "this node's name in a replicated group: letters, digits and -, starting with a letter, at most 63 " +
      "characters, case-insensitive (e.g. db-a; n1, n2, ... also work); with peers, the node runs as a Raft replica",
  },
  {
    name: "peers",
    property: "peers",
    type: { kind: "address-list" },
    default: [],
    doc:
      "every node of the replicated group, this one included, as NAME=HOST:PORT of its peer port " +
      "(e.g. db-a=127.0.0.1:7500,db-b=127.0.0.1:7501); none: a single node",
  },
  {
    name: "peer-listen",
    property: "peerListen",
    type: { kind: "optional-address" },
    default: "",
    doc: "HOST:PORT where the other nodes of the group connect (Raft messages); default: this node's entry in peers",
  },
  {
    name: "snapshot-every-entries",
    property: "snapshotEveryEntries",
    type: { kind: "integer", min: 1, max: Number.MAX_SAFE_INTEGER },
    default: snapshotEveryEntries,
    doc: "a replica snapshots its state and compacts its Raft log after this many applied entries",
  },
  {
    name: "shards",
    property: "shards",
    type: { kind: "integer", min: 0, max: shardsMax },
    default: 0,
    doc: "with peers: bootstrap a sharded cluster of this many shards (each its own Raft group; every node "
      + "started with the same peers and shards); 0 runs the nodes as one Raft group",
  },
  {
    name: "join",
    property: "join",
    type: { kind: "join" },
    default: false,
    doc:
      "alone, with peers (every current member and this node): join an existing group, which adds this node " +
      "with `filestore cluster add-node`, instead of founding one; HOST:PORT, the peer port of any member of a " +
      "sharded cluster: join that cluster (no peers or shards: the coordinator tells the rest; peer-listen says " +
      "where this node listens); read only when the data folder is new",
  },
  {
    name: "log-format",
    property: "logFormat",
    type: { kind: "enum", choices: logFormats },
    default: "logfmt",
    doc: "operational log lines on stderr: logfmt (key=value pairs) or json (one object per line)",
  },
  {
    name: "log-level",
    property: "logLevel",
    type: { kind: "enum", choices: logLevels },
    default: "info",
    doc: "least severe log lines written: error, warn, info or debug",
  },
  {
    name: "slow-fsync-ms",
    property: "slowFsyncMs",
    type: { kind: "integer", min: 0, max: slowFsyncMsCeiling },
    default: slowFsyncMsDefault,
    doc: "warn about an fdatasync of the log that takes at least this long (milliseconds; 0: every one, to diagnose)",
  },
];

export function settingNamed(name: string): Setting | undefined {
  return settings.find((setting) => setting.name === name);
}
