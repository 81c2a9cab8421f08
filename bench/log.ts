/**
 * Benchmark of the segmented log (src/log/): what a durable append costs against the disk's own
 * floor, and what group commit buys under concurrency.
 *
 * Shapes, each stated in its row:
 * - fdatasync floor: fs.writeSync of 4 KiB appended at the end of a file + fs.fdatasyncSync,
 *   one after the other (the same file-extending pattern as the log); also the thread-pool
 *   fs.fdatasync, to choose between the two.
 * - durable append, fsync `always`, 128 B and 4 KiB records: 1 writer awaiting each append, and
 *   64 concurrent writers each awaiting its own (group commit shares fdatasyncs among them).
 * Targets: 1-writer P99 <= 1.5x the floor's P99; 64-writer throughput >= 20x 1-writer throughput.
 * Usage: bun bench/log.ts [--json] [--quick]
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { SegmentedLog } from "../src/log/segmented_log.ts";
import { nowMicroseconds } from "./lib/clock.ts";
import { LatencyHistogram } from "./lib/histogram.ts";
import { checkTarget, type Measurement, type SectionResult } from "./lib/result.ts";
import { formatSection } from "./lib/table.ts";
import { makeTempDirectory, removeTempDirectory } from "./lib/temp_directory.ts";

/** Record sizes: a small Raft entry or command, and a page-sized one. */
const recordSizesBytes = [128, 4096] as const;
/** Block of the raw floor: a page, the unit the disk is written in. */
const floorWriteBytes = 4096;
/** Concurrent writers of the group-commit run, as in the target. */
const concurrentWritersCount = 64;
/**
 * The disk is shared and its fdatasync latency drifts by several times within seconds, so the
 * floor and every log run are measured in interleaved slices of this length: each sees the same
 * disk conditions, and ratios between them mean something.
 */
const sliceMilliseconds = 250;
const sliceRoundsCount = 7;
const quickSliceRoundsCount = 2;
/** Unmeasured round first: JIT, page cache and file extents settle. */
const warmupRoundsCount = 1;
/** Targets from the issue. */
const singleWriterP99OverFloorMax = 1.5;
const concurrentOverSingleThroughputMin = 20;

export interface LogBenchOptions {
  json?: boolean;
  quick?: boolean;
}

export interface LogBenchResult extends SectionResult {
  /** Average records covered by one fdatasync in each 64-writer run, by record size in bytes. */
  recordsPerFdatasync: Record<string, number>;
}

/** One measured workload: called once per slice, it records into its histogram until `endMicroseconds`. */
interface Workload {
  histogram: LatencyHistogram;
  completedCount: number;
  run(endMicroseconds: number, measured: boolean): Promise<void>;
  close(): Promise<void>;
}

/** write + fdatasyncSync of 4 KiB at the end of a growing file, one after the other. */
function fdatasyncFloorWorkload(dir: string): Workload {
  const fd = fs.openSync(path.join(dir, "floor.bin"), "w");
  const block = new Uint8Array(floorWriteBytes).fill(0x5a);
  let position = 0;
  const workload: Workload = {
    histogram: new LatencyHistogram(),
    completedCount: 0,
    async run(endMicroseconds, measured) {
      for (let started = nowMicroseconds(); started < endMicroseconds; started = nowMicroseconds()) {
        fs.writeSync(fd, block, 0, block.length, position);
        fs.fdatasyncSync(fd);
        position += block.length;
        if (!measured) continue;
        workload.histogram.recordMicroseconds(nowMicroseconds() - started);
        workload.completedCount += 1;
      }
    },
    async close() {
      fs.closeSync(fd);
    },
  };
  return workload;
}

/** `writers` concurrent writers, each awaiting its own durable append of `recordBytes`. */
async function appendWorkload(dir: string, recordBytes: number, writers: number): Promise<Workload & { log: SegmentedLog }> {
  const log = await SegmentedLog.open({ dir: path.join(dir, `log-${recordBytes}-${writers}`), fsync: "always" });
  const payload = new Uint8Array(recordBytes).fill(0xa5);
  const workload = {
    log,
    histogram: new LatencyHistogram(),
    completedCount: 0,
    async run(endMicroseconds: number, measured: boolean) {
      const writer = async () => {
        for (let started = nowMicroseconds(); started < endMicroseconds; started = nowMicroseconds()) {
          await log.append([payload]);
          if (!measured) continue;
          workload.histogram.recordMicroseconds(nowMicroseconds() - started);
          workload.completedCount += 1;
        }
      };
      await Promise.all(Array.from({ length: writers }, writer));
    },
    close: () => log.close(),
  };
  return workload;
}

/** The same floor with the thread-pool fdatasync: shows whether the async call would beat the sync one. */
async function asyncFdatasyncFloorWorkload(dir: string): Promise<Workload> {
  const handle = await fs.promises.open(path.join(dir, "floor-async.bin"), "w");
  const block = new Uint8Array(floorWriteBytes).fill(0x5a);
  let position = 0;
  const workload: Workload = {
    histogram: new LatencyHistogram(),
    completedCount: 0,
    async run(endMicroseconds, measured) {
      for (let started = nowMicroseconds(); started < endMicroseconds; started = nowMicroseconds()) {
        fs.writeSync(handle.fd, block, 0, block.length, position);
        await handle.datasync();
        position += block.length;
        if (!measured) continue;
        workload.histogram.recordMicroseconds(nowMicroseconds() - started);
        workload.completedCount += 1;
      }
    },
    close: () => handle.close(),
  };
  return workload;
}

function toMeasurement(system: string, operation: string, bytes: number, writers: number, note: string, histogram: LatencyHistogram, completedCount: number, measuredMilliseconds: number): Measurement {
  return {
    system,
    operation,
    shape: { valueSizeBytes: bytes, clients: writers, pipelineDepth: 1, loop: "closed", note },
    latency: histogram.summary(),
    throughputPerSecond: completedCount / (measuredMilliseconds / 1000),
  };
}

/**
 * Runs every workload for one slice each, round after round; the first rounds are warm-up.
 * Each round starts one workload later than the one before, so no workload always follows the
 * heavy 64-writer run (whose writeback slows whatever comes next).
 */
async function runInterleaved(workloads: Workload[], roundsCount: number): Promise<void> {
  for (let round = 0; round < warmupRoundsCount + roundsCount; round += 1) {
    for (let step = 0; step < workloads.length; step += 1) {
      const workload = workloads[(round + step) % workloads.length];
      await workload.run(nowMicroseconds() + sliceMilliseconds * 1000, round >= warmupRoundsCount);
    }
  }
}

export async function runLogBench(options: LogBenchOptions = {}): Promise<LogBenchResult> {
  const roundsCount = options.quick ? quickSliceRoundsCount : sliceRoundsCount;
  const measuredMilliseconds = roundsCount * sliceMilliseconds;
  const dir = makeTempDirectory("log");
  const result: LogBenchResult = { section: "segmented log: durable appends", measurements: [], targets: [], notes: [], recordsPerFdatasync: {} };
  const workloads: Workload[] = [];
  try {
    const floor = fdatasyncFloorWorkload(dir);
    const asyncFloor = await asyncFdatasyncFloorWorkload(dir);
    workloads.push(floor, asyncFloor);
    const runs: Array<{ recordBytes: number; single: Workload & { log: SegmentedLog }; concurrent: Workload & { log: SegmentedLog } }> = [];
    for (const recordBytes of recordSizesBytes) {
      const single = await appendWorkload(dir, recordBytes, 1);
      const concurrent = await appendWorkload(dir, recordBytes, concurrentWritersCount);
      workloads.push(single, concurrent);
      runs.push({ recordBytes, single, concurrent });
    }
    await runInterleaved(workloads, roundsCount);
    const floorMeasurement = toMeasurement("disk", "write+fdatasyncSync", floorWriteBytes, 1, "raw, file-extending", floor.histogram, floor.completedCount, measuredMilliseconds);
    result.measurements.push(floorMeasurement, toMeasurement("disk", "write+fdatasync (thread pool)", floorWriteBytes, 1, "raw, file-extending", asyncFloor.histogram, asyncFloor.completedCount, measuredMilliseconds));
    for (const { recordBytes, single, concurrent } of runs) {
      const singleMeasurement = toMeasurement("filestore log", "durable append", recordBytes, 1, "fsync always", single.histogram, single.completedCount, measuredMilliseconds);
      const concurrentMeasurement = toMeasurement("filestore log", "durable append", recordBytes, concurrentWritersCount, "fsync always", concurrent.histogram, concurrent.completedCount, measuredMilliseconds);
      result.measurements.push(singleMeasurement, concurrentMeasurement);
      const stats = concurrent.log.stats();
      result.recordsPerFdatasync[String(recordBytes)] = stats.recordsAppended / Math.max(1, stats.fdatasyncCount);
      result.targets.push(
        checkTarget(`1-writer append P99, ${recordBytes} B / floor P99`, singleMeasurement.latency.p99Microseconds, floorMeasurement.latency.p99Microseconds, "<=", singleWriterP99OverFloorMax, "µs"),
        checkTarget(`${concurrentWritersCount}-writer / 1-writer appends/s, ${recordBytes} B`, concurrentMeasurement.throughputPerSecond, singleMeasurement.throughputPerSecond, ">=", concurrentOverSingleThroughputMin, "ops/s"),
      );
      result.notes.push(`${concurrentWritersCount} writers, ${recordBytes} B: ${result.recordsPerFdatasync[String(recordBytes)].toFixed(1)} records per fdatasync`);
    }
    result.notes.push(`floor and log runs interleaved in ${sliceMilliseconds} ms slices, ${roundsCount} measured rounds; "conn" = writers; latency is from append() to durable acknowledgement`);
  } finally {
    for (const workload of workloads) await workload.close();
    removeTempDirectory(dir);
  }
  return result;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { json: { type: "boolean", default: false }, quick: { type: "boolean", default: false } } });
  const result = await runLogBench({ json: values.json, quick: values.quick });
  console.log(values.json ? JSON.stringify(result, null, 2) : formatSection(result));
}
