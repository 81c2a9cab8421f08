/**
 * Benchmark of the Raft core (src/cluster/raft/), in process, no I/O:
 * - Commit throughput: a 3-node group with a reliable network that delivers each message
 *   one loop turn later; every turn the leader proposes a batch of 128 B proposals, every
 *   node persists its Ready to a MemoryStorage and sends. Reported as proposals committed
 *   (applied on the leader) per second of CPU time of the whole group, per batch size.
 *   This bounds what one real group can do before fsync and sockets.
 * - Simulator speed: steps per CPU second of test/sim (3 nodes, faults, safety checks).
 * Usage: bun bench/raft.ts [--json] [--quick]
 */
import { parseArgs } from "node:util";
import { makeRaftConfig } from "../src/cluster/raft/config.ts";
import { seededRandom } from "../src/cluster/raft/random.ts";
import { RawNode } from "../src/cluster/raft/raw_node.ts";
import { MemoryStorage } from "../src/cluster/raft/storage.ts";
import type { Message } from "../src/cluster/raft/types.ts";
import { runSeed } from "../test/sim/simulate.ts";
import type { SectionResult } from "./lib/result.ts";
import { formatSection } from "./lib/table.ts";

/** A small command, as a trading order or a key-value put is. */
const proposalBytes = 128;
/** Proposals per leader turn: unbatched, a typical loop turn's worth, a busy turn's. */
const batchSizes = [1, 16, 256] as const;
const proposalsPerRun = 200_000;
const quickProposalsPerRun = 20_000;
const simulatorSeeds = 40;
const quickSimulatorSeeds = 5;
const simulatorStepsPerSeed = 1500;
/** Ticks every this many turns keep heartbeats and check-quorum running as in production. */
const turnsPerTick = 10;

export interface RaftBenchResult extends SectionResult {
  commitThroughput: Array<{ batchSize: number; proposalsPerCpuSecond: number; proposals: number; cpuSeconds: number }>;
  simulator: { seeds: number; steps: number; stepsPerCpuSecond: number; cpuSeconds: number };
}

function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

interface Group {
  nodes: Map<number, RawNode>;
  storages: Map<number, MemoryStorage>;
  inFlight: Message[];
  committedProposals: number;
}

function makeGroup(): Group {
  const ids = [1, 2, 3];
  const group: Group = { nodes: new Map(), storages: new Map(), inFlight: [], committedProposals: 0 };
  for (const id of ids) {
    const storage = new MemoryStorage({ voters: ids, learners: [] });
    group.storages.set(id, storage);
    group.nodes.set(id, new RawNode(makeRaftConfig(id, { inflightAppendsMax: 64 }), storage, seededRandom(id)));
  }
  return group;
}

/** One loop turn: deliver last turn's messages, then send what may go early, persist every Ready and collect the rest. */
function turn(group: Group): void {
  const delivering = group.inFlight;
  group.inFlight = [];
  for (const message of delivering) group.nodes.get(message.to)?.step(message);
  for (const [id, node] of group.nodes) {
    if (!node.hasReady()) continue;
    const ready = node.ready();
    const storage = group.storages.get(id) as MemoryStorage;
    // A leader's appends and heartbeats may leave before its own write (§10.2.1).
    group.inFlight.push(...ready.messagesBeforePersist);
    if (ready.snapshot !== undefined) storage.applySnapshot(ready.snapshot);
    storage.append(ready.entries);
    if (ready.hardState !== undefined) storage.setHardState(ready.hardState);
    group.inFlight.push(...node.advance(ready));
    if (id === 1) for (const entry of ready.committedEntries) if (entry.data.length > 0) group.committedProposals++;
  }
}

function electFirstNode(group: Group): RawNode {
  const leader = group.nodes.get(1) as RawNode;
  for (let i = 0; i < 1000 && leader.status().softState.role !== "leader"; i++) {
    leader.tick();
    turn(group);
  }
  for (let i = 0; i < 10; i++) turn(group);
  return leader;
}

function measureCommitThroughput(batchSize: number, proposals: number) {
  const group = makeGroup();
  const leader = electFirstNode(group);
  const payload = new Uint8Array(proposalBytes).fill(7);
  const batch = Array.from({ length: batchSize }, () => payload);
  const started = cpuSeconds();
  let proposed = 0;
  for (let turns = 0; group.committedProposals < proposals; turns++) {
    if (proposed < proposals) {
      leader.proposeBatch(batch);
      proposed += batchSize;
    }
    if (turns % turnsPerTick === 0) for (const node of group.nodes.values()) node.tick();
    turn(group);
  }
  const spent = cpuSeconds() - started;
  return { batchSize, proposalsPerCpuSecond: group.committedProposals / spent, proposals: group.committedProposals, cpuSeconds: spent };
}

async function measureSimulator(seeds: number) {
  const started = cpuSeconds();
  let steps = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    steps += (await runSeed(seed, { nodes: 3, steps: simulatorStepsPerSeed })).steps;
  }
  const spent = cpuSeconds() - started;
  return { seeds, steps, stepsPerCpuSecond: steps / spent, cpuSeconds: spent };
}

export async function runRaftBench(options: { quick?: boolean } = {}): Promise<RaftBenchResult> {
  const proposals = options.quick ? quickProposalsPerRun : proposalsPerRun;
  // Warm-up: one short unmeasured run lets the JIT settle before numbers are taken.
  measureCommitThroughput(16, quickProposalsPerRun / 4);
  const commitThroughput = batchSizes.map((batchSize) => measureCommitThroughput(batchSize, proposals));
  const simulator = await measureSimulator(options.quick ? quickSimulatorSeeds : simulatorSeeds);
  const notes = commitThroughput.map(
    (run) =>
      `3-node group, ${proposalBytes} B proposals, batch ${run.batchSize}/turn: ${Math.round(run.proposalsPerCpuSecond).toLocaleString("en-US")} proposals committed per CPU second (${run.proposals} in ${run.cpuSeconds.toFixed(2)} CPU s)`,
  );
  notes.push(
    `simulator, 3 nodes with faults and per-step safety checks: ${Math.round(simulator.stepsPerCpuSecond).toLocaleString("en-US")} steps per CPU second (${simulator.steps} steps, ${simulator.seeds} seeds)`,
  );
  return { section: "raft core (in process, no I/O)", measurements: [], targets: [], notes, commitThroughput, simulator };
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { json: { type: "boolean", default: false }, quick: { type: "boolean", default: false } } });
  const result = await runRaftBench({ quick: values.quick });
  console.log(values.json ? JSON.stringify(result, null, 2) : formatSection(result));
}
