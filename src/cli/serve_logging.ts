/**
 * The operational log of `filestore serve`: the node's logger from its settings (log-format,
 * log-level), with `node=n1` on every line of a replica, and the slow-fsync warning on the log
 * that acknowledges writes. The logger's implementation (pino) is loaded only here, when a node
 * starts, so the client commands of the same program do not pay for loading it.
 */
import type { FileStoreConfig } from "../config/settings.ts";
import { formatNodeId } from "../cluster/node_id.ts";
import { SlowFsyncLog } from "../observability/slow_fsync_log.ts";
import type { Logger } from "../util/logger.ts";
import { join } from "node:path";
import type { ClusterSettings } from "./serve_cluster.ts";

export async function openNodeLogger(config: FileStoreConfig, cluster: ClusterSettings | null): Promise<Logger> {
  const { createNodeLogger } = await import("../observability/node_logger.ts");
  const logger = createNodeLogger({ format: config.logFormat, level: config.logLevel });
  return cluster === null ? logger : logger.child({ node: formatNodeId(cluster.nodeId) });
}

/** Watches the fdatasyncs of the write-ahead log: the engine's log alone, or a replica's Raft log. */
export function slowFsyncLog(logger: Logger, config: FileStoreConfig, cluster: ClusterSettings | null): SlowFsyncLog {
  const dir = cluster === null ? join(config.data, "log") : join(config.data, "raft", "log");
  return new SlowFsyncLog(logger, config.slowFsyncMs, dir);
}
