/**
 * A 3-member etcd cluster on loopback free ports with temporary data folders, for the
 * replicated benchmarks: etcd is the peer a user would otherwise pick for a replicated,
 * fsync-on-commit key-value store. Members talk HTTP; clients use etcd's JSON gateway.
 */
import type { Subprocess } from "bun";
import { readLogTail, spawnPeer, stopPeer } from "../lib/child_process.ts";
import { sleepMilliseconds } from "../lib/clock.ts";
import { BenchError } from "../lib/errors.ts";
import { findFreePort } from "../lib/free_port.ts";
import { makeTempDirectory, removeTempDirectory } from "../lib/temp_directory.ts";

/** Members of the cluster: the smallest that tolerates a failure, as FileStore's shards. */
export const etcdMembersCount = 3;
/** A fresh cluster elects a leader within a few election timeouts (1 s each by default). */
const clusterReadyTimeoutMilliseconds = 20_000;
const healthPollMilliseconds = 100;

export interface EtcdCluster {
  /** Client URLs, e.g. http://127.0.0.1:23791, one per member. */
  clientUrls: string[];
  /** Client URL of the current leader. */
  leaderUrl: string;
  /** Stops every member (SIGSTOP), e.g. while another system is measured; resume() wakes them together. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export async function startEtcdCluster(): Promise<EtcdCluster> {
  const directory = makeTempDirectory("etcd");
  const members = Array.from({ length: etcdMembersCount }, (_, index) => ({
    name: `member${index}`,
    clientUrl: `http://127.0.0.1:${findFreePort()}`,
    peerUrl: `http://127.0.0.1:${findFreePort()}`,
    logPath: `${directory}/member${index}.log`,
  }));
  const initialCluster = members.map((member) => `${member.name}=${member.peerUrl}`).join(",");
  const children: Subprocess[] = members.map((member) => spawnPeer([
    "etcd", "--name", member.name, "--data-dir", `${directory}/${member.name}`,
    "--listen-client-urls", member.clientUrl, "--advertise-client-urls", member.clientUrl,
    "--listen-peer-urls", member.peerUrl, "--initial-advertise-peer-urls", member.peerUrl,
    "--initial-cluster", initialCluster, "--initial-cluster-state", "new",
    "--initial-cluster-token", `filestore-bench-${process.pid}`, "--logger", "zap", "--log-level", "error",
  ], member.logPath));
  const signal = (name: "SIGSTOP" | "SIGCONT") => () => {
    for (const child of children) if (child.exitCode === null) child.kill(name);
  };
  const stop = async () => {
    signal("SIGCONT")(); // a stopped member would take SIGTERM only once woken
    await Promise.all(children.map((child) => stopPeer(child)));
    removeTempDirectory(directory);
  };
  try {
    const clientUrls = members.map((member) => member.clientUrl);
    await waitForHealthy(clientUrls, children, members[0].logPath);
    const leaderUrl = await findLeader(clientUrls);
    return { clientUrls, leaderUrl, pause: signal("SIGSTOP"), resume: signal("SIGCONT"), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitForHealthy(clientUrls: string[], children: Subprocess[], logPath: string): Promise<void> {
  const deadline = Date.now() + clusterReadyTimeoutMilliseconds;
  while (Date.now() < deadline) {
    const exited = children.find((child) => child.exitCode !== null);
    if (exited) throw new BenchError(`etcd member exited with code ${exited.exitCode}: ${await readLogTail(logPath)}`);
    const healthy = await Promise.all(clientUrls.map(isHealthy));
    if (healthy.every(Boolean)) return;
    await sleepMilliseconds(healthPollMilliseconds);
  }
  throw new BenchError(`etcd cluster not healthy within ${clusterReadyTimeoutMilliseconds} ms: ${await readLogTail(logPath)}`);
}

async function isHealthy(clientUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${clientUrl}/health`);
    const body = (await response.json()) as { health?: string };
    return response.ok && body.health === "true";
  } catch {
    return false;
  }
}

/** The member whose status names itself as leader; clients send there to skip a forwarding hop. */
async function findLeader(clientUrls: string[]): Promise<string> {
  for (const clientUrl of clientUrls) {
    const response = await fetch(`${clientUrl}/v3/maintenance/status`, { method: "POST", body: "{}" });
    const status = (await response.json()) as { header?: { member_id?: string }; leader?: string };
    if (status.leader !== undefined && status.leader === status.header?.member_id) return clientUrl;
  }
  throw new BenchError("no etcd member reports itself as leader");
}
