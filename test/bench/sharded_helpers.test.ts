/**
 * The pieces of the sharded benchmark that hold no server: reading CPU time from /proc/PID/stat,
 * reading a counter from /metrics text, the contender that wakes its system for each slice and
 * counts the system's counters over the measured windows only (on simulated time, so every figure
 * is exact), the heartbeat reference of the idle run, and figure tables in a printed section.
 */
import { describe, expect, test } from "bun:test";
import type { LoadClock } from "../../bench/lib/clock.ts";
import { BenchError } from "../../bench/lib/errors.ts";
import { metricTotal } from "../../bench/lib/node_metrics.ts";
import { pausedClosedLoopContender } from "../../bench/lib/paused_contender.ts";
import { parseCpuTicks, processCpuSeconds } from "../../bench/lib/process_cpu.ts";
import { formatSection } from "../../bench/lib/table.ts";
import { perGroupHeartbeatRate } from "../../bench/sharded/idle.ts";

/** Time that moves only when a sender says its request took so long, or a driver waits. */
class SimulatedClock implements LoadClock {
  microseconds = 0;

  nowMicroseconds(): number {
    return this.microseconds;
  }

  waitMicroseconds(microseconds: number): Promise<void> {
    return new Promise((resolve) => setImmediate(() => {
      this.microseconds += Math.max(0, microseconds);
      resolve();
    }));
  }
}

describe("CPU time from /proc/PID/stat", () => {
  test("utime + stime are fields 14 and 15, counted after the command name (which may hold spaces, parens)", () => {
    const stat = "4242 (bun (serve) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 731 269 0 0 20 0 9 0 123 456 789";
    expect(parseCpuTicks(stat)).toBe(1000);
  });

  test("a line that is not a stat line is refused", () => {
    expect(() => parseCpuTicks("no name here")).toThrow(BenchError);
    expect(() => parseCpuTicks("1 (bun) S 1 2")).toThrow(BenchError);
  });

  test("this process has used some CPU time", () => {
    expect(processCpuSeconds(process.pid)).toBeGreaterThan(0);
  });
});

describe("a counter from /metrics text", () => {
  const text = [
    "# HELP filestore_peer_messages_sent_total Raft messages.",
    "# TYPE filestore_peer_messages_sent_total counter",
    "filestore_peer_messages_sent_total 12",
    "filestore_peer_messages_sent_total_extra 1000",
    'filestore_requests_total{op="get",status="OK"} 5',
    'filestore_requests_total{op="put",status="OK"} 7',
    "filestore_fsync_duration_seconds_count 3",
    "",
  ].join("\n");

  test("the sample of that exact name, its label sets summed", () => {
    expect(metricTotal(text, "filestore_peer_messages_sent_total")).toBe(12);
    expect(metricTotal(text, "filestore_requests_total")).toBe(12);
    expect(metricTotal(text, "filestore_fsync_duration_seconds_count")).toBe(3);
  });

  test("a metric the node does not expose is an error, not a zero", () => {
    expect(() => metricTotal(text, "filestore_peer_messages_received_total")).toThrow(BenchError);
  });
});

describe("a contender whose system sleeps outside its slices", () => {
  function scripted(failAtCall = 0) {
    const clock = new SimulatedClock();
    const events: string[] = [];
    let reads = 0;
    let calls = 0;
    const system = {
      resume: () => events.push("resume"),
      pause: () => events.push("pause"),
      readCounters: async () => {
        reads += 1;
        events.push(`read ${reads}`);
        return [reads * 10, reads * 100];
      },
    };
    const sender = async () => {
      calls += 1;
      if (calls === failAtCall) throw new BenchError("node gone");
      clock.microseconds += 1_000; // every request takes 1 ms
    };
    const label = { system: "filestore", operation: "put", valueSizeBytes: 100 };
    return { events, contender: pausedClosedLoopContender(label, [sender], system, clock) };
  }

  test("wakes, warms up, reads counters around the measured window only, sleeps; rates per measured s", async () => {
    const { events, contender } = scripted();
    const first = await contender.runSlice({ warmupMilliseconds: 5, measureMilliseconds: 10 });
    expect(events).toEqual(["resume", "read 1", "read 2", "pause"]);
    expect(first.completedCount).toBe(10);
    await contender.runSlice({ warmupMilliseconds: 0, measureMilliseconds: 10 });
    expect(events).toEqual(["resume", "read 1", "read 2", "pause", "resume", "read 3", "read 4", "pause"]);
    // Each window adds 10 and 100 to the counters; two windows of 10 ms.
    expect(contender.counterRatesPerSecond()).toEqual([1_000, 10_000]);
  });

  test("sleeps again when the load fails", async () => {
    const { events, contender } = scripted(3);
    await expect(contender.runSlice({ warmupMilliseconds: 5, measureMilliseconds: 10 })).rejects.toThrow("node gone");
    expect(events).toEqual(["resume", "pause"]);
  });
});

test("per-group heartbeats: every group's leader and each of its followers, both ways, every 30 ms", () => {
  expect(perGroupHeartbeatRate(256, 3)).toBeCloseTo((256 * 2 * 2) / 0.03, 6);
});

test("a section prints its figure tables between the measurements and the targets", () => {
  const text = formatSection({
    section: "idle",
    measurements: [],
    targets: [],
    tables: [{ title: "per node", header: ["node", "CPU %"], rows: [["n1", "1.50"]] }],
    notes: ["quiet"],
  });
  const lines = ["== idle ==", "", "per node", "node  CPU %", "----  -----", "n1     1.50", "note: quiet"];
  expect(text).toBe(lines.join("\n"));
});
