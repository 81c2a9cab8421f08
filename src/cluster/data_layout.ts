/**
 * A data folder is written either by a node of one Raft group (its Raft log in `raft/`,
 * cluster_node.ts) or by a node of a sharded cluster (its shared log in `wal/`,
 * node/sharded_node.ts), never both: opened the other way, a node would start empty beside data
 * it cannot see. Each kind checks the folder before it writes anything.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

/** The folder holds the other kind's data; the message says which and what to do. */
export class DataLayoutError extends Error {
  override name = "DataLayoutError";
}

/** Throws DataLayoutError when `dataDir` holds the data of a node of the other kind than `kind`. */
export function refuseOtherLayout(dataDir: string, kind: "single group" | "sharded"): void {
  if (kind === "sharded" && existsSync(join(dataDir, "raft"))) {
    const advice = "start it without --shards, or use another --data";
    throw new DataLayoutError(`data folder ${dataDir} holds a single Raft group's log (raft/): ${advice}`);
  }
  if (kind === "single group" && existsSync(join(dataDir, "wal"))) {
    const advice = "start it with --shards (or --join HOST:PORT), or use another --data";
    throw new DataLayoutError(`data folder ${dataDir} holds a sharded node's shared log (wal/): ${advice}`);
  }
}
