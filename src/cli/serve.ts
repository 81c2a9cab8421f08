/**
 * `filestore serve`: load the configuration, lock the data folder (one process per folder:
 * data_folder_lock.ts), start the admin endpoint (so start-up is observable:
 * /healthz answers 503 until serving), open the engine (recovery), start the client port, print
 * one ready line, and on SIGINT/SIGTERM shut down in order: stop accepting and finish in-flight
 * requests, checkpoint the engine (a fast next start), close it (which syncs its log), close the
 * admin endpoint, release the data folder's lock (data_folder_lock.ts); exit 0. Each step is also
 * logged (serve_logging.ts), on stderr. A replica that learns it was removed from its group logs
 * it, stops the same way and exits 8; on the data of a removed node it refuses to start (exit 8).
 */
import { startAdminServer, type AdminServer } from "../admin/admin_server.ts";
import { ClusterNode, PeerPortError } from "../cluster/cluster_node.ts";
import { JoinError } from "../cluster/node/cluster_join.ts";
import { ShardedNode } from "../cluster/node/sharded_node.ts";
import { DataLayoutError } from "../cluster/data_layout.ts";
import { formatNodeId } from "../cluster/node_id.ts";
import { removalNotice, type NodeRemoval } from "../cluster/node_removal.ts";
import { NodeRemovedError } from "../cluster/removal_marker.ts";
import { RaftStorageCorruptError } from "../cluster/storage/types.ts";
import type { KeyValueService } from "../net/key_value_service.ts";
import { clusterSettings, type ClusterSettings } from "./serve_cluster.ts";
import { ServerMetrics } from "../admin/server_metrics.ts";
import { formatHostPort } from "../config/address.ts";
import { loadConfig } from "../config/load.ts";
import { settings, type FileStoreConfig } from "../config/settings.ts";
import { Engine } from "../engine/engine.ts";
import { CorruptRecordError } from "../log/types.ts";
import { startServer } from "../net/index.ts";
import { AssertionError } from "../util/assert.ts";
import { DataFolderError, lockDataFolder, type DataFolderLock } from "../util/data_folder_lock.ts";
import { systemErrorText } from "../util/system_error_text.ts";
import { ExitCode, type ExitCodeValue } from "./exit_codes.ts";
import { writeStdout } from "./output.ts";
import { ServeError } from "./serve_error.ts";
import { serverLimitsFor } from "./server_limits.ts";
import { waitForShutdownSignal } from "./shutdown_signal.ts";
import { openNodeLogger, slowFsyncLog } from "./serve_logging.ts";
import packageJson from "../../package.json";
import { configFields } from "../config/config_fields.ts";
import type { SlowFsyncLog } from "../observability/slow_fsync_log.ts";
import { errorText, type Logger } from "../util/logger.ts";

interface RunningNode {
  lock: DataFolderLock | null;
  admin: AdminServer | null;
  engine: Engine | null;
  cluster: ClusterNode | null;
  sharded: ShardedNode | null;
  server: { host: string; port: number; close(): Promise<void> } | null;
  serving: boolean;
  logger: Logger;
  slowFsync: SlowFsyncLog;
  /** Set when shutdown begins: /healthz then says "shutting down" rather than "starting". */
  stopping: boolean;
  /** Resolves when the replica learns it was removed from its group. */
  removedFromGroup: PromiseWithResolvers<NodeRemoval>;
}

export async function serve(options: Record<string, string | boolean | undefined>): Promise<ExitCodeValue> {
  const config = await loadConfig({ configPath: options.config as string | undefined, flags: settingFlags(options) });
  const cluster = clusterSettings(config, typeof options.config === "string" ? options.config : "flags");
  // First, before any log line, port or file: a second process on the folder must touch none of
  // them and say why in one line. The kernel releases the lock when the process ends.
  const lock = lockDataFolder(config.data, { create: true });
  const logger = await openNodeLogger(config, cluster).catch((error: unknown) => {
    lock.release();
    throw error;
  });
  const configPath = options.config as string | undefined;
  const { version } = packageJson;
  logger.info("starting", { version, ...configFields(config), config: configPath, pid: process.pid });
  const slowFsync = slowFsyncLog(logger, config, cluster);
  const node: RunningNode = {
    lock, admin: null, engine: null, cluster: null, sharded: null, server: null, serving: false, logger, slowFsync,
    stopping: false,
    removedFromGroup: Promise.withResolvers(),
  };
  // Listen for signals before starting, so one that arrives during start-up (or right after the
  // ready line) still gets a clean stop rather than the default abrupt exit.
  const shutdownSignal = waitForShutdownSignal();
  try {
    await start(node, config, cluster, config.join === true);
  } catch (error) {
    logger.error("start failed", { error: errorText(error) });
    await stop(node);
    throw asServeError(error);
  }
  const ended = await Promise.race([shutdownSignal, node.removedFromGroup.promise]);
  const reason = typeof ended === "string" ? { signal: ended } : { reason: "removed from the group" };
  logger.info("shutting down", reason);
  await stop(node);
  if (typeof ended !== "string") {
    await writeStdout("filestore stopped reason=removed\n");
    logger.info("stopped", reason);
    return ExitCode.removed;
  }
  await writeStdout(`filestore stopped signal=${ended}\n`);
  logger.info("stopped", reason);
  return ExitCode.ok;
}

async function start(node: RunningNode, config: FileStoreConfig, cluster: ClusterSettings | null, join: boolean): Promise<void> {
  const metrics = new ServerMetrics();
  node.admin = startStep(`admin port ${formatHostPort(config.admin)}`, () =>
    startAdminServer({
      host: config.admin.host,
      port: config.admin.port,
      metrics,
      engineStats: () => (node.cluster?.engine ?? node.engine)?.stats() ?? null,
      isServing: () => node.serving,
      isStopping: () => node.stopping,
      cluster: () => node.cluster?.driver ?? null,
      peerStats: () => node.cluster?.transport.stats() ?? node.sharded?.transport.stats() ?? null,
      sharded: () => node.sharded,
      clusterView: () => node.sharded,
    }),
  );
  const service = await openService(node, config, cluster, join, metrics);
  const server = await startStepAsync(`client port ${formatHostPort(config.listen)}`, () =>
    startServer({
      host: config.listen.host,
      port: config.listen.port,
      service,
      limits: serverLimitsFor(config),
      observer: metrics,
      logger: node.logger,
    }),
  );
  node.server = server;
  node.serving = true;
  const client = formatHostPort({ host: config.listen.host, port: server.port });
  const admin = formatHostPort({ host: config.admin.host, port: node.admin.port });
  node.cluster?.setAddresses(client, admin);
  node.sharded?.setAddresses(client, admin);
  const transport = node.cluster?.transport ?? node.sharded?.transport;
  const peer = transport === undefined ? undefined : formatHostPort(transport.listenAddress);
  // The node as operators named it (--node-id), never the internal number Raft uses.
  const nodeId = node.cluster?.driver.nodeId ?? node.sharded?.nodeId;
  const replica = nodeId === undefined ? "" : ` node=${formatNodeId(nodeId)} peer=${peer}`;
  await writeStdout(`filestore listening client=${client} admin=${admin} data=${config.data} fsync=${config.fsync}${replica}\n`);
  node.logger.info("listening", { client, admin, peer });
}

/** A single node serves from its engine; a replica from the Raft group (cluster_node.ts). */
async function openService(node: RunningNode, config: FileStoreConfig, cluster: ClusterSettings | null, join: boolean, metrics: ServerMetrics): Promise<KeyValueService> {
  if (cluster === null) {
    node.engine = await startStepAsync(
      `data folder ${config.data}`,
      () => Engine.open({
        dir: config.data,
        fsync: config.fsync,
        batchDelayMs: config.batchDelayMs,
        onFsync: fsyncObserver(node, metrics),
        logger: node.logger,
      }),
      config.data,
    );
    return node.engine;
  }
  const sharded = cluster.shards > 0 || cluster.joinThrough !== undefined;
  if (sharded) return openShardedService(node, config, cluster, metrics);
  node.cluster = await startStepAsync(
    `replica n${cluster.nodeId} in ${config.data}`,
    () => ClusterNode.start({
      ...cluster,
      dataDir: config.data,
      fsync: config.fsync,
      join,
      onFsync: fsyncObserver(node, metrics),
      onProposalApplied: metrics.proposalApplied,
      logger: node.logger,
      onRemoved: (removal, markerError) => {
        const fields = { membership_index: removal.membershipIndex, marker_error: markerError ?? undefined };
        node.logger.error(`${removalNotice(removal)}; stopping`, fields);
        node.removedFromGroup.resolve(removal);
      },
    }),
    config.data,
  );
  return node.cluster.service;
}

/** A node of a sharded cluster: the shared log, the meta group, its shard replicas (sharded_node.ts). */
async function openShardedService(
  node: RunningNode, config: FileStoreConfig, cluster: ClusterSettings, metrics: ServerMetrics,
): Promise<KeyValueService> {
  node.sharded = await startStepAsync(
    `sharded node n${cluster.nodeId} in ${config.data}`,
    () => ShardedNode.start({
      ...cluster,
      join: cluster.joinThrough,
      dataDir: config.data,
      fsync: config.fsync,
      onFsync: fsyncObserver(node, metrics),
      onProposalApplied: metrics.proposalApplied,
      logger: node.logger,
    }),
    config.data,
  );
  return node.sharded.service;
}

/** Each fdatasync of the write-ahead log: its duration into the metric, and a warning when slow. */
function fsyncObserver(node: RunningNode, metrics: ServerMetrics): (seconds: number) => void {
  return (seconds) => {
    metrics.fsyncCompleted(seconds);
    node.slowFsync.observe(seconds);
  };
}

/** Stops whatever was started, in dependency order; safe after a partial start. Logs each step. */
async function stop(node: RunningNode): Promise<void> {
  node.serving = false;
  node.stopping = true;
  const wasServing = node.server !== null;
  await node.server?.close(); // stops accepting, answers in-flight requests
  if (wasServing) node.logger.info("client port closed; requests in flight answered");
  node.server = null;
  if (wasServing && node.engine !== null) await checkpointBeforeExit(node.engine, node.logger);
  // syncs and closes the log
  await logStep(node, node.engine, "engine closed; its log synced", () => node.engine!.close());
  node.engine = null;
  // stops Raft, the peer port, then syncs and closes both logs
  const replicaStopped = "replica stopped; peer port closed, raft log and engine synced";
  await logStep(node, node.cluster, replicaStopped, () => node.cluster!.close());
  node.cluster = null;
  const shardsStopped = "replicas stopped; peer port closed, shared log synced";
  await logStep(node, node.sharded, shardsStopped, () => node.sharded!.close());
  node.sharded = null;
  await logStep(node, node.admin, "admin endpoint closed", () => node.admin!.close());
  node.admin = null;
  node.lock?.release();
  node.lock = null;
  node.slowFsync.close();
}

/** Runs one stop step when its part was started, and logs it once done. */
async function logStep(node: RunningNode, part: object | null, done: string, step: () => Promise<void>): Promise<void> {
  if (part === null) return;
  await step();
  node.logger.info(done);
}

/**
 * A checkpoint at a clean stop makes the next start load the index instead of replaying the log.
 * Its failure loses nothing (the log holds every write), so it is reported and the stop goes on.
 */
async function checkpointBeforeExit(engine: Engine, logger: Logger): Promise<void> {
  try {
    const report = await engine.checkpoint();
    const fields = { keys: report.entries, covered_log_index: report.coveredLogIndex, bytes: report.bytes };
    logger.info("checkpoint written", fields);
  } catch (error) {
    logger.warn("checkpoint at shutdown failed (the next start replays the log)", { error: errorText(error) });
  }
}

function settingFlags(options: Record<string, string | boolean | undefined>): Record<string, string | undefined> {
  const flags: Record<string, string | undefined> = {};
  for (const setting of settings) {
    const value = options[setting.name];
    // parseArgs gives a boolean flag as true (given) or undefined (not given: the file decides).
    flags[setting.name] = value === true ? "true" : (value as string | undefined);
  }
  return flags;
}

function startStep<T>(what: string, action: () => T): T {
  try {
    return action();
  } catch (error) {
    throw asServeError(error, what);
  }
}

/** `dataFolder`: the step opens stored data, so damage found there names the check that lists all of it. */
async function startStepAsync<T>(what: string, action: () => Promise<T>, dataFolder?: string): Promise<T> {
  try {
    return await action();
  } catch (error) {
    const serveError = asServeError(error, what);
    const isDamage = error instanceof CorruptRecordError || error instanceof RaftStorageCorruptError;
    if (!isDamage || dataFolder === undefined) throw serveError;
    throw new ServeError(`${serveError.message}; run \`filestore check --data ${dataFolder}\` to list all damage`);
  }
}

/**
 * Keeps typed configuration errors and broken invariants as they are; errors whose message
 * already names what failed (the data folder, the peer port) become ServeErrors unchanged;
 * others are named by their step, OS errors in words ("client port 127.0.0.1:7400: address
 * already in use").
 */
function asServeError(error: unknown, what?: string): Error {
  const typed = error instanceof ServeError || error instanceof AssertionError || error instanceof NodeRemovedError;
  if (typed || (error as Error)?.name === "ConfigError") {
    return error as Error;
  }
  const named = error instanceof DataFolderError || error instanceof PeerPortError || error instanceof JoinError
    || error instanceof DataLayoutError;
  if (named) return new ServeError(error.message);
  return new ServeError(what === undefined ? systemErrorText(error) : `${what}: ${systemErrorText(error)}`);
}
