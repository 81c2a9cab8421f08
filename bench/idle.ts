/**
 * Idle cost of many groups (issue 16's idle benchmark, in process): 3 nodes, each with one TCP
 * node transport on 127.0.0.1, one tick scheduler on real timers and one group multiplexer, run
 * 256 groups × 3 replicas (replica drivers over in-memory Raft storage, a no-op machine) with no
 * client load. Measured over a window once every group has a leader (and, with quiescence, is
 * quiet): peer frames sent per second (group messages and node heartbeats, all 3 nodes) and the
 * process's CPU time (process.cpuUsage) per node (the process's total divided by 3: the nodes
 * share one process here, a real node runs alone), with quiescence (node liveness given to every
 * driver) and without (today's per-group heartbeats).
 * Reference: what 256 groups' per-group heartbeats send, 256 leaders × 2 followers × (heartbeat +
 * answer) per heartbeat interval (30 ms): about 34,000 messages/s. Targets (issue 16): peer
 * messages/s at most a tenth of that, CPU per node at most 2% of one core.
 * Usage: bun bench/idle.ts [--json] [--quick]   (or bun bench/run.ts idle)
 */
import { parseArgs } from "node:util";
import * as limits from "../src/cluster/cluster_limits.ts";
import { NodeLiveness } from "../src/cluster/health/node_liveness.ts";
import type { Entry, NodeId } from "../src/cluster/raft/types.ts";
import { ReplicaDriver } from "../src/cluster/replica/replica_driver.ts";
import type { MachineSnapshot, ReplicatedMachine } from "../src/cluster/replica/replicated_machine.ts";
import { SharedTickScheduler } from "../src/cluster/replica/tick_scheduler.ts";
import { MemoryRaftStorage } from "../src/cluster/storage/memory_raft_storage.ts";
import { GroupMultiplexer, type MemberLocator } from "../src/cluster/transport/group_multiplexer.ts";
import { startTcpNodeTransport } from "../src/cluster/transport/tcp_peer_transport.ts";
import type { TcpNodeTransport } from "../src/cluster/transport/types.ts";
import { realClock, sleep } from "../src/util/clock.ts";
import { checkTarget, type SectionResult } from "./lib/result.ts";
import { formatSection } from "./lib/table.ts";

const nodeCount = 3;
const groupCount = 256;
/** Member ids: group × 10 + node (node ids 1..3). */
const membersPerGroupMax = 10;
/** The idle window. */
const measureSeconds = 30;
const quickMeasureSeconds = 3;
/** Elections and going quiet take a few hundred ms of ticks; this bounds the wait, in polls. */
const settlePollsMax = 600;
const settlePollMs = 50;
/** The targets: CPU per node at most 2% of one core. */
const cpuPercentOfCoreMax = 2;
const messagesShareOfPerGroupMax = 0.1;

/** Applies nothing: an idle group's state machine. */
class NoOpMachine implements ReplicatedMachine<undefined> {
  appliedIndex = 0;
  onFatal: (error: Error) => void = () => {};
  apply(entry: Entry): undefined {
    this.appliedIndex = entry.index;
    return undefined;
  }
  async snapshot(): Promise<MachineSnapshot> {
    return { index: this.appliedIndex, data: Promise.resolve(new Uint8Array(0)) };
  }
  async restore(_data: Uint8Array, index: number): Promise<void> {
    this.appliedIndex = index;
  }
}

interface IdleNode {
  transport: TcpNodeTransport;
  liveness: NodeLiveness | null;
  multiplexer: GroupMultiplexer;
  drivers: Array<ReplicaDriver<undefined, NoOpMachine>>;
}

export interface IdleRun {
  quiescence: boolean;
  /** Peer frames per second, all nodes: group messages and node heartbeats. */
  messagesPerSecond: number;
  nodeHeartbeatsPerSecond: number;
  /** CPU time per second of wall time, divided by the nodes: a share of one core. */
  cpuShareOfCorePerNode: number;
  groupsQuiet: number;
}

export interface IdleBenchResult extends SectionResult {
  runs: IdleRun[];
}

const locator: MemberLocator = {
  nodeOf: (_group, member) => member % membersPerGroupMax,
  memberOn: (group, node) => group * membersPerGroupMax + node,
};

async function startNodes(quiescence: boolean): Promise<IdleNode[]> {
  const transports: TcpNodeTransport[] = [];
  for (let id = 1; id <= nodeCount; id++) {
    const listen = { host: "127.0.0.1", port: 0 };
    transports.push(await startTcpNodeTransport({ nodeId: id, clusterId: "idle-bench", listen, peers: new Map() }));
  }
  const address = (node: NodeId) => `127.0.0.1:${transports[node - 1]!.listenAddress.port}`;
  return transports.map((transport) => {
    const ticks = new SharedTickScheduler(realClock, limits.tickIntervalMs);
    const send = (to: NodeId, heartbeat: { diskStalled: boolean }) => transport.sendHeartbeat(to, heartbeat);
    const liveness = quiescence ? new NodeLiveness({ nodeId: transport.nodeId, clock: realClock, ticks, send }) : null;
    const multiplexer = new GroupMultiplexer(transport, locator, liveness ?? undefined);
    const drivers: Array<ReplicaDriver<undefined, NoOpMachine>> = [];
    for (let group = 1; group <= groupCount; group++) {
      const member = group * membersPerGroupMax + transport.nodeId;
      const voters = Array.from({ length: nodeCount }, (_, index) => group * membersPerGroupMax + index + 1);
      const view = multiplexer.open(group, member);
      view.setPeers(new Map(voters.map((voter) => [voter, address(voter % membersPerGroupMax)])));
      drivers.push(ReplicaDriver.start<undefined, NoOpMachine>({
        nodeId: member, storage: new MemoryRaftStorage({ voters, learners: [] }), transport: view,
        machine: new NoOpMachine(), ticks, liveness: liveness === null ? undefined : multiplexer.livenessOf(group),
      }));
    }
    return { transport, liveness, multiplexer, drivers };
  });
}

async function stopNodes(nodes: IdleNode[]): Promise<void> {
  for (const node of nodes) {
    for (const driver of node.drivers) await driver.close();
    node.liveness?.close();
    await node.multiplexer.close();
  }
}

/** Every group has a leader (and is quiet everywhere, with quiescence); false if that never came. */
async function settled(nodes: IdleNode[], quiescence: boolean): Promise<boolean> {
  const led = () => nodes[0]!.drivers.every((driver) => driver.leaderId() !== 0);
  const quiet = () => nodes.every((node) => node.drivers.every((driver) => driver.isQuiesced()));
  for (let poll = 0; poll < settlePollsMax; poll++) {
    if (led() && (!quiescence || quiet())) return true;
    await sleep(realClock, settlePollMs);
  }
  return false;
}

function framesSent(nodes: IdleNode[]): { messages: number; heartbeats: number } {
  let messages = 0;
  let heartbeats = 0;
  for (const node of nodes) {
    const stats = node.transport.stats();
    messages += stats.messagesSent;
    heartbeats += stats.nodeHeartbeatsSent;
  }
  return { messages, heartbeats };
}

async function measure(quiescence: boolean, seconds: number): Promise<IdleRun> {
  const nodes = await startNodes(quiescence);
  try {
    if (!(await settled(nodes, quiescence))) throw new Error(`the groups did not settle (quiescence ${quiescence})`);
    const framesBefore = framesSent(nodes);
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    await sleep(realClock, seconds * 1000);
    const cpu = process.cpuUsage(cpuBefore);
    const wallSeconds = (performance.now() - wallBefore) / 1000;
    const framesAfter = framesSent(nodes);
    const heartbeats = framesAfter.heartbeats - framesBefore.heartbeats;
    const frames = framesAfter.messages - framesBefore.messages + heartbeats;
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const groupsQuiet = nodes[0]!.drivers.filter((driver) => driver.isQuiesced()).length;
    return {
      quiescence,
      messagesPerSecond: frames / wallSeconds,
      nodeHeartbeatsPerSecond: heartbeats / wallSeconds,
      cpuShareOfCorePerNode: cpuSeconds / wallSeconds / nodeCount,
      groupsQuiet,
    };
  } finally {
    await stopNodes(nodes);
  }
}

/** What 256 groups' per-group heartbeats send: each leader heartbeats 2 followers, which answer, every interval. */
function perGroupHeartbeatMessagesPerSecond(): number {
  const intervalSeconds = (limits.heartbeatIntervalTicks * limits.tickIntervalMs) / 1000;
  return (groupCount * (nodeCount - 1) * 2) / intervalSeconds;
}

export async function runIdleBench(options: { quick?: boolean } = {}): Promise<IdleBenchResult> {
  const seconds = options.quick ? quickMeasureSeconds : measureSeconds;
  const quiet = await measure(true, seconds);
  const awake = await measure(false, seconds);
  const reference = perGroupHeartbeatMessagesPerSecond();
  const describe = (run: IdleRun) => {
    const cpuPercent = (100 * run.cpuShareOfCorePerNode).toFixed(2);
    const mode = run.quiescence ? "quiescence" : "per-group heartbeats";
    return `${mode}: ${run.messagesPerSecond.toFixed(0)} peer frames/s `
      + `(${run.nodeHeartbeatsPerSecond.toFixed(0)} node heartbeats), CPU ${cpuPercent}% `
      + `of a core per node, ${run.groupsQuiet} of ${groupCount} groups quiet on node 1`;
  };
  const notes = [
    `${nodeCount} nodes × ${groupCount} groups × ${nodeCount} replicas, TCP on 127.0.0.1, idle ${seconds} s, `
      + "one process",
    describe(quiet),
    describe(awake),
    `per-group heartbeats of ${groupCount} groups would send ${reference.toFixed(0)} messages/s`,
  ];
  const targets = [
    checkTarget("peer messages/s with quiescence vs per-group heartbeats", quiet.messagesPerSecond, reference, "<=",
      messagesShareOfPerGroupMax, "msg/s"),
    checkTarget("CPU per node with quiescence (% of one core)", 100 * quiet.cpuShareOfCorePerNode, cpuPercentOfCoreMax,
      "<=", 1, "% core"),
  ];
  return { section: "idle (3 nodes × 256 groups, no load)", measurements: [], targets, notes, runs: [quiet, awake] };
}

if (import.meta.main) {
  const options = { json: { type: "boolean", default: false }, quick: { type: "boolean", default: false } } as const;
  const { values } = parseArgs({ options });
  const result = await runIdleBench({ quick: values.quick });
  console.log(values.json ? JSON.stringify(result, null, 2) : formatSection(result));
}
