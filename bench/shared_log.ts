/**
 * Benchmark of the shared log (src/cluster/wal/): what many groups on one node cost to persist,
 * against one group, and against one log per group.
 *
 * Shapes, each stated in its row (fsync `always`, entries of 128 B, closed loop: a turn's
 * persists are all called, then awaited together, then the next turn starts):
 * - "1 entry per group": every group persists one entry per turn, for 1, 16 and 64 groups
 *   (the node's load grows with its groups; the turn still costs one fdatasync).
 * - "same load": 64 entries per turn spread over 1, 16 or 64 groups (64, 4 or 1 per group):
 *   the comparison of 1 and 64 shards under the same client load.
 * - "a log per group": 16 groups each on its own RaftDiskStorage (today's single-group
 *   storage), one entry each per turn: what N shards would cost without the shared log.
 * Targets (issue 16): with the same load, 64 groups reach >= 0.9x the 1-group entries/s, and
 * fdatasyncs/s stay within ±20% of 1 group's.
 * Workloads run in interleaved slices (as bench/log.ts does), so each sees the same disk.
 * Usage: bun bench/shared_log.ts [--json] [--quick]
 */
import path from "node:path";
import { parseArgs } from "node:util";
import type { Entry } from "../src/cluster/raft/types.ts";
import { RaftDiskStorage } from "../src/cluster/storage/raft_disk_storage.ts";
import type { DurableRaftStorage, PersistBatch } from "../src/cluster/storage/types.ts";
import { SharedLog } from "../src/cluster/wal/shared_log.ts";
import { nowMicroseconds } from "./lib/clock.ts";
import { LatencyHistogram } from "./lib/histogram.ts";
import { checkTarget, type Measurement, type SectionResult, type TargetCheck } from "./lib/result.ts";
import { formatSection } from "./lib/table.ts";
import { makeTempDirectory, removeTempDirectory } from "./lib/temp_directory.ts";

/** A small Raft entry: a put of a short key and value. */
const entryBytes = 128;
const groupCounts = [1, 16, 64] as const;
/** Entries per turn of the "same load" runs: one per client of the 64-client benchmark. */
const sameLoadEntriesPerTurn = 64;
/** Groups of the "a log per group" run. */
const separateLogsGroupCount = 16;
const sliceMilliseconds = 250;
const sliceRoundsCount = 7;
const quickSliceRoundsCount = 2;
const warmupRoundsCount = 1;
/** Targets from the issue. */
const sameLoadThroughputRatioMin = 0.9;
const fdatasyncRateRatioMax = 1.2;
const fdatasyncRateRatioMin = 0.8;
const voters = { voters: [1, 2, 3], learners: [] };

interface Workload {
  name: string;
  groups: number;
  entriesPerGroup: number;
  histogram: LatencyHistogram;
  turns: number;
  entries: number;
  fdatasyncs: number;
  run(endMicroseconds: number, measured: boolean): Promise<void>;
  close(): Promise<void>;
}

/** Closed-loop turns over `storages`: each persists `entriesPerGroup` entries, all awaited together. */
function turnsOver(
  name: string,
  storages: DurableRaftStorage[],
  entriesPerGroup: number,
  fdatasyncCount: () => number,
  close: () => Promise<void>,
): Workload {
  const data = new Uint8Array(entryBytes).fill(0x61);
  const workload: Workload = {
    name,
    groups: storages.length,
    entriesPerGroup,
    histogram: new LatencyHistogram(),
    turns: 0,
    entries: 0,
    fdatasyncs: 0,
    async run(endMicroseconds, measured) {
      const fdatasyncsBefore = fdatasyncCount();
      for (let started = nowMicroseconds(); started < endMicroseconds; started = nowMicroseconds()) {
        await Promise.all(storages.map((storage) => storage.persist(nextBatch(storage, entriesPerGroup, data))));
        if (!measured) continue;
        workload.histogram.recordMicroseconds(nowMicroseconds() - started);
        workload.turns++;
        workload.entries += storages.length * entriesPerGroup;
      }
      if (measured) workload.fdatasyncs += fdatasyncCount() - fdatasyncsBefore;
    },
    close,
  };
  return workload;
}

/** The next entries of a storage, term 1, with the commit moved to its previous last entry. */
function nextBatch(storage: DurableRaftStorage, count: number, data: Uint8Array): PersistBatch {
  const first = storage.lastIndex() + 1;
  const entries: Entry[] = [];
  for (let index = first; index < first + count; index++) entries.push({ index, term: 1, kind: "normal", data });
  return { hardState: { term: 1, vote: 1, commit: first - 1 }, entries };
}

async function sharedLogWorkload(
  dir: string,
  name: string,
  groups: number,
  entriesPerGroup: number,
): Promise<Workload> {
  const wal = await SharedLog.open({ dir: path.join(dir, `${name}-${groups}`), fsync: "always" });
  const storages: DurableRaftStorage[] = [];
  for (let groupId = 1; groupId <= groups; groupId++) storages.push(await wal.openGroup(groupId, voters));
  return turnsOver(name, storages, entriesPerGroup, () => wal.stats().fdatasyncCount, () => wal.close());
}

async function separateLogsWorkload(dir: string): Promise<Workload> {
  let fdatasyncs = 0;
  const storages: RaftDiskStorage[] = [];
  for (let group = 1; group <= separateLogsGroupCount; group++) {
    const options = { fsync: "always" as const, onFsync: () => fdatasyncs++ };
    storages.push(await RaftDiskStorage.open(path.join(dir, `separate-${group}`), options, voters));
  }
  const close = async () => {
    for (const storage of storages) await storage.close();
  };
  return turnsOver("a log per group", storages, 1, () => fdatasyncs, close);
}

async function runInterleaved(workloads: Workload[], roundsCount: number): Promise<void> {
  for (let round = 0; round < warmupRoundsCount + roundsCount; round++) {
    for (let step = 0; step < workloads.length; step++) {
      const workload = workloads[(round + step) % workloads.length];
      await workload.run(nowMicroseconds() + sliceMilliseconds * 1000, round >= warmupRoundsCount);
    }
  }
}

function toMeasurements(workload: Workload, seconds: number): Measurement[] {
  const note = `${workload.name}: ${workload.groups} groups x ${workload.entriesPerGroup} entries, fsync always`;
  const shape = {
    valueSizeBytes: entryBytes,
    clients: workload.groups,
    pipelineDepth: workload.entriesPerGroup,
    loop: "closed" as const,
    note,
  };
  const latency = workload.histogram.summary();
  return [
    { system: "shared log", operation: "turn", shape, latency, throughputPerSecond: workload.turns / seconds },
    { system: "shared log", operation: "entry", shape, latency, throughputPerSecond: workload.entries / seconds },
  ];
}

/** The targets: the same load on 64 groups against 1 group. */
function sameLoadTargets(workloads: Workload[], seconds: number): TargetCheck[] {
  const [one, , many] = workloads.filter((workload) => workload.name === "same load");
  const title = "same load: 64 groups / 1 group";
  const entries = [many.entries / seconds, one.entries / seconds] as const;
  const fdatasyncs = [many.fdatasyncs / seconds, one.fdatasyncs / seconds] as const;
  return [
    checkTarget(`${title} entries/s`, ...entries, ">=", sameLoadThroughputRatioMin, "entries/s"),
    checkTarget(`${title} fdatasyncs/s`, ...fdatasyncs, "<=", fdatasyncRateRatioMax, "/s"),
    checkTarget(`${title} fdatasyncs/s`, ...fdatasyncs, ">=", fdatasyncRateRatioMin, "/s"),
  ];
}

export async function runSharedLogBench(options: { quick?: boolean } = {}): Promise<SectionResult> {
  const roundsCount = options.quick ? quickSliceRoundsCount : sliceRoundsCount;
  const seconds = (roundsCount * sliceMilliseconds) / 1000;
  const dir = makeTempDirectory("shared-log");
  const section = "shared log: many groups, one fdatasync per turn";
  const result: SectionResult = { section, measurements: [], targets: [], notes: [] };
  const workloads: Workload[] = [];
  try {
    for (const groups of groupCounts) workloads.push(await sharedLogWorkload(dir, "1 entry per group", groups, 1));
    for (const groups of groupCounts) {
      workloads.push(await sharedLogWorkload(dir, "same load", groups, sameLoadEntriesPerTurn / groups));
    }
    workloads.push(await separateLogsWorkload(dir));
    await runInterleaved(workloads, roundsCount);
    for (const workload of workloads) {
      result.measurements.push(...toMeasurements(workload, seconds));
      const perTurn = workload.fdatasyncs / Math.max(1, workload.turns);
      const rate = (workload.fdatasyncs / seconds).toFixed(0);
      const name = `${workload.name}, ${workload.groups} groups`;
      result.notes.push(`${name}: ${rate} fdatasyncs/s, ${perTurn.toFixed(2)} per turn`);
    }
    result.targets.push(...sameLoadTargets(workloads, seconds));
    result.notes.push(
      `runs interleaved in ${sliceMilliseconds} ms slices, ${roundsCount} measured rounds; ` +
        `"conn" = groups, "depth" = entries per group per turn`,
    );
  } finally {
    for (const workload of workloads) await workload.close();
    removeTempDirectory(dir);
  }
  return result;
}

if (import.meta.main) {
  const flag = { type: "boolean", default: false } as const;
  const { values } = parseArgs({ options: { json: flag, quick: flag } });
  const result = await runSharedLogBench({ quick: values.quick });
  console.log(values.json ? JSON.stringify(result, null, 2) : formatSection(result));
}
