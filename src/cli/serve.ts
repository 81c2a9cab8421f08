/**
 * `filestore serve`: load the configuration, start the admin endpoint (so start-up is observable:
 * /healthz answers 503 until serving), open the engine (recovery), start the client port, print
 * one ready line, and on SIGINT/SIGTERM shut down in order: stop accepting and finish in-flight
 * requests, checkpoint the engine (a fast next start), close it (which syncs its log), close the
 * admin endpoint; exit 0.
 */
import { startAdminServer, type AdminServer } from "../admin/admin_server.ts";
import { ClusterNode } from "../cluster/cluster_node.ts";
import type { KeyValueService } from "../net/key_value_service.ts";
import { clusterSettings, type ClusterSettings } from "./serve_cluster.ts";
import { ServerMetrics } from "../admin/server_metrics.ts";
import { formatHostPort } from "../config/address.ts";
import { loadConfig } from "../config/load.ts";
import { settings, type FileStoreConfig } from "../config/settings.ts";
import { Engine } from "../engine/engine.ts";
import { startServer } from "../net/index.ts";
import { AssertionError } from "../util/assert.ts";
import { ExitCode, type ExitCodeValue } from "./exit_codes.ts";
import { writeErrorLine, writeStdout } from "./output.ts";
import { ServeError } from "./serve_error.ts";
import { serverLimitsFor } from "./server_limits.ts";
import { waitForShutdownSignal } from "./shutdown_signal.ts";

interface RunningNode {
  admin: AdminServer | null;
  engine: Engine | null;
  cluster: ClusterNode | null;
  server: { host: string; port: number; close(): Promise<void> } | null;
  serving: boolean;
}

export async function serve(options: Record<string, string | boolean | undefined>): Promise<ExitCodeValue> {
  const config = await loadConfig({ configPath: options.config as string | undefined, flags: settingFlags(options) });
  const node: RunningNode = { admin: null, engine: null, cluster: null, server: null, serving: false };
  const cluster = clusterSettings(config, typeof options.config === "string" ? options.config : "flags");
  // Listen for signals before starting, so one that arrives during start-up (or right after the
  // ready line) still gets a clean stop rather than the default abrupt exit.
  const shutdownSignal = waitForShutdownSignal();
  try {
    await start(node, config, cluster, config.join);
  } catch (error) {
    await stop(node);
    throw asServeError(error);
  }
  const signal = await shutdownSignal;
  await stop(node);
  await writeStdout(`filestore stopped signal=${signal}\n`);
  return ExitCode.ok;
}

async function start(node: RunningNode, config: FileStoreConfig, cluster: ClusterSettings | null, join: boolean): Promise<void> {
  const metrics = new ServerMetrics();
  node.admin = startStep(`admin endpoint on ${formatHostPort(config.admin)}`, () =>
    startAdminServer({
      host: config.admin.host,
      port: config.admin.port,
      metrics,
      engineStats: () => (node.cluster?.engine ?? node.engine)?.stats() ?? null,
      isServing: () => node.serving,
      cluster: () => node.cluster?.driver ?? null,
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
      logError: (message, error) => void writeErrorLine(`${message}: ${error instanceof Error ? error.message : String(error)}`),
    }),
  );
  node.server = server;
  node.serving = true;
  const client = formatHostPort({ host: config.listen.host, port: server.port });
  const admin = formatHostPort({ host: config.admin.host, port: node.admin.port });
  node.cluster?.setAddresses(client, admin);
  const replica = node.cluster === null ? "" : ` node=n${node.cluster.driver.nodeId} peer=${formatHostPort(node.cluster.transport.listenAddress)}`;
  await writeStdout(`filestore listening client=${client} admin=${admin} data=${config.data} fsync=${config.fsync}${replica}\n`);
}

/** A single node serves from its engine; a replica from the Raft group (cluster_node.ts). */
async function openService(node: RunningNode, config: FileStoreConfig, cluster: ClusterSettings | null, join: boolean, metrics: ServerMetrics): Promise<KeyValueService> {
  if (cluster === null) {
    node.engine = await startStepAsync(`data folder ${config.data}`, () =>
      Engine.open({ dir: config.data, fsync: config.fsync, batchDelayMs: config.batchDelayMs, onFsync: metrics.fsyncCompleted }),
    );
    return node.engine;
  }
  node.cluster = await startStepAsync(`replica n${cluster.nodeId} in ${config.data}`, () =>
    ClusterNode.start({
      ...cluster,
      dataDir: config.data,
      fsync: config.fsync,
      join,
      onFsync: metrics.fsyncCompleted,
      onProposalApplied: metrics.proposalApplied,
      onFailure: (error) => void writeErrorLine(`replication stopped: ${error.message}`),
    }),
  );
  return node.cluster.service;
}

/** Stops whatever was started, in dependency order; safe after a partial start. */
async function stop(node: RunningNode): Promise<void> {
  node.serving = false;
  const wasServing = node.server !== null;
  await node.server?.close(); // stops accepting, answers in-flight requests
  node.server = null;
  if (wasServing && node.engine !== null) await checkpointBeforeExit(node.engine);
  await node.engine?.close(); // syncs and closes the log
  node.engine = null;
  await node.cluster?.close(); // stops Raft, the peer port, then syncs and closes both logs
  node.cluster = null;
  await node.admin?.close();
  node.admin = null;
}

/**
 * A checkpoint at a clean stop makes the next start load the index instead of replaying the log.
 * Its failure loses nothing (the log holds every write), so it is reported and the stop goes on.
 */
async function checkpointBeforeExit(engine: Engine): Promise<void> {
  try {
    await engine.checkpoint();
  } catch (error) {
    await writeErrorLine(`checkpoint at shutdown failed (the next start replays the log): ${(error as Error).message}`);
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

async function startStepAsync<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw asServeError(error, what);
  }
}

/** Keeps typed configuration errors and broken invariants as they are; names the step otherwise. */
function asServeError(error: unknown, what?: string): Error {
  if (error instanceof ServeError || error instanceof AssertionError || (error as Error)?.name === "ConfigError") {
    return error as Error;
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ServeError(what === undefined ? message : `${what}: ${message}`);
}
