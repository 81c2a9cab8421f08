/**
 * Real `filestore serve` processes forming one Raft group on 127.0.0.1, for tests and the
 * replicated benchmark: every port is chosen free before start (peers must know each other's
 * address, and a restarted node keeps its ports), data in a temp folder removed at close.
 * Nodes can be killed (any signal), paused (SIGSTOP/SIGCONT) and restarted on the same data.
 * A node can also join a running sharded cluster (`serve --join`, launchJoining).
 */
import type { Subprocess } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NodeClusterStatus } from "../../src/cluster/cluster_status.ts";
import { findFreePort } from "../../bench/lib/free_port.ts";
import { waitFor, type WaitOptions } from "../support/wait_for.ts";

const repositoryRoot = join(import.meta.dir, "../..");
/** Longest a node may take to print its ready line: generous for a loaded 2-core machine. */
const readyWaitMsMax = 20_000;
/** Longest a status request to one admin endpoint may take. */
const statusTimeoutMs = 1000;
/** Between status polls while waiting for a leader or for a node to catch up. */
const statusPollMs = 20;
/** Status polls while waiting for a leader: at least 10 s, enough for an election on a loaded machine. */
const leaderPollsMax = 500;
/** Status polls while waiting for a node to catch up: at least 60 s, enough to replay a benchmark's log. */
const catchUpPollsMax = 3000;

export interface ProcessNode {
  id: number;
  clientAddress: string;
  adminAddress: string;
  peerAddress: string;
  process: Subprocess<"ignore", "pipe", "pipe"> | null;
  paused: boolean;
  output: string[];
  /** The current process's stderr, line by line: its operational log (and any error line). */
  logLines: string[];
  /** A node joining a sharded cluster: the peer address it joins through (--join), instead of --peers. */
  joinThrough?: string;
}

export interface ProcessClusterOptions {
  nodes: number;
  fsync?: "always" | "batch" | "unsafe-no-fsync";
  /** Extra serve flags for every node. */
  extraFlags?: string[];
  /** The name node `id` is given in --node-id and --peers (default n<id>). */
  nodeName?: (id: number) => string;
}

export { findFreePort };

export class ProcessCluster {
  readonly nodes = new Map<number, ProcessNode>();
  readonly directory = mkdtempSync(join(tmpdir(), "filestore-raft-"));
  private peersFlag = "";

  constructor(private readonly options: ProcessClusterOptions) {}

  static async start(options: ProcessClusterOptions): Promise<ProcessCluster> {
    const cluster = new ProcessCluster(options);
    for (let id = 1; id <= options.nodes; id++) cluster.define(id);
    cluster.peersFlag = cluster.peerList([...cluster.nodes.keys()]);
    await Promise.all([...cluster.nodes.keys()].map((id) => cluster.launch(id, [])));
    return cluster;
  }

  /** Reserves ports for node `id` (not started). */
  define(id: number): ProcessNode {
    const node: ProcessNode = {
      id,
      clientAddress: `127.0.0.1:${findFreePort()}`,
      adminAddress: `127.0.0.1:${findFreePort()}`,
      peerAddress: `127.0.0.1:${findFreePort()}`,
      process: null,
      paused: false,
      output: [],
      logLines: [],
    };
    this.nodes.set(id, node);
    return node;
  }

  peerList(ids: number[]): string {
    return ids.map((id) => `${this.nameOf(id)}=${this.nodes.get(id)!.peerAddress}`).join(",");
  }

  /** The name node `id` runs under. */
  nameOf(id: number): string {
    return this.options.nodeName?.(id) ?? `n${id}`;
  }

  clientAddresses(): string[] {
    return [...this.nodes.values()].map((node) => node.clientAddress);
  }

  /**
   * The `filestore serve` command line of node `id` on its data folder and ports. A joining node
   * gets --join and --peer-listen instead of --peers and the cluster's extra flags (which found
   * the cluster: --shards); again on every restart, as an operator would keep one command line.
   */
  serveCommand(id: number, extraFlags: string[], peers = this.peersFlag): string[] {
    const node = this.nodes.get(id)!;
    const membership = node.joinThrough === undefined
      ? ["--peers", peers, ...(this.options.extraFlags ?? [])]
      : ["--join", node.joinThrough, "--peer-listen", node.peerAddress];
    return [
      process.execPath, join(repositoryRoot, "src/main.ts"), "serve",
      "--node-id", this.nameOf(id), "--listen", node.clientAddress, "--admin", node.adminAddress,
      ...membership, "--data", join(this.directory, `n${id}`),
      "--fsync", this.options.fsync ?? "always", ...extraFlags,
    ];
  }

  /** Defines node `id` and starts it as `serve --join` through node `through`'s peer port; waits for its ready line. */
  async launchJoining(id: number, through: number): Promise<void> {
    const node = this.define(id);
    node.joinThrough = this.nodes.get(through)!.peerAddress;
    await this.launch(id, []);
  }

  /** Starts node `id` (again) on its data folder and waits for its ready line. */
  async launch(id: number, extraFlags: string[], peers = this.peersFlag): Promise<void> {
    const node = this.nodes.get(id)!;
    const command = this.serveCommand(id, extraFlags, peers);
    const child = Bun.spawn(command, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    node.process = child;
    node.paused = false;
    node.logLines = [];
    void collectLines(child.stderr, node.output, node.logLines);
    const ready = await waitForLine(child.stdout, node.output, (line) => line.startsWith("filestore listening"), readyWaitMsMax);
    if (!ready) throw new Error(`n${id} did not start: ${node.output.join(" | ")}`);
  }

  kill(id: number, signal: "SIGKILL" | "SIGTERM" = "SIGKILL"): Promise<number> {
    const node = this.nodes.get(id)!;
    const child = node.process;
    if (child === null) return Promise.resolve(0);
    if (node.paused) child.kill("SIGCONT");
    child.kill(signal);
    node.process = null;
    node.paused = false;
    return child.exited;
  }

  pause(id: number): void {
    const node = this.nodes.get(id)!;
    node.process?.kill("SIGSTOP");
    node.paused = true;
  }

  resume(id: number): void {
    const node = this.nodes.get(id)!;
    node.process?.kill("SIGCONT");
    node.paused = false;
  }

  isUp(id: number): boolean {
    const node = this.nodes.get(id)!;
    return node.process !== null && !node.paused;
  }

  async status(id: number): Promise<NodeClusterStatus | null> {
    if (!this.isUp(id)) return null;
    try {
      const response = await fetch(`http://${this.nodes.get(id)!.adminAddress}/cluster/status`, { signal: AbortSignal.timeout(statusTimeoutMs) });
      return response.status === 200 ? ((await response.json()) as NodeClusterStatus) : null;
    } catch {
      return null;
    }
  }

  /** Id of the node that leads, as the running nodes report it, once one does. */
  leader(options: WaitOptions = {}): Promise<number> {
    return waitFor(() => this.findLeader(), "a leader among the running nodes", {
      intervalMs: statusPollMs,
      attemptsMax: leaderPollsMax,
      ...options,
    });
  }

  private async findLeader(): Promise<number | null> {
    for (const id of this.nodes.keys()) {
      const status = await this.status(id);
      if (status?.role === "leader") return id;
    }
    return null;
  }

  /** Waits until node `id` follows the current leader and has applied all the leader has committed. */
  async waitUntilCaughtUp(id: number): Promise<void> {
    await waitFor(async () => {
      const leaderStatus = await this.status(await this.leader());
      const nodeStatus = await this.status(id);
      if (leaderStatus === null || nodeStatus === null) return false;
      return nodeStatus.leader === leaderStatus.node && nodeStatus.appliedIndex >= leaderStatus.commitIndex;
    }, `n${id} to follow the leader and apply all it has committed`, { intervalMs: statusPollMs, attemptsMax: catchUpPollsMax });
  }

  async close(): Promise<void> {
    await Promise.all([...this.nodes.keys()].map((id) => this.kill(id, "SIGKILL")));
    rmSync(this.directory, { recursive: true, force: true });
  }
}

async function collect(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) into.push(decoder.decode(chunk));
}

/** Collects `stream` as raw chunks into `raw` and as whole lines into `lines`. */
async function collectLines(stream: ReadableStream<Uint8Array>, raw: string[], lines: string[]): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    const text = decoder.decode(chunk, { stream: true });
    raw.push(text);
    const parts = (pending + text).split("\n");
    pending = parts.pop() ?? "";
    lines.push(...parts);
  }
  if (pending !== "") lines.push(pending);
}

/** Reads `stream` until a line matches (true) or it ends or time runs out (false); keeps reading after. */
async function waitForLine(stream: ReadableStream<Uint8Array>, into: string[], match: (line: string) => boolean, timeoutMs: number): Promise<boolean> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  const deadline = setTimeout(() => void reader.cancel(), timeoutMs);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return false;
      buffered += decoder.decode(value, { stream: true });
      into.push(decoder.decode(value));
      if (buffered.split("\n").some(match)) {
        reader.releaseLock();
        void collect(stream, into);
        return true;
      }
    }
  } finally {
    clearTimeout(deadline);
  }
}
