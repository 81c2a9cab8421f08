/**
 * The loopback floor: a raw Bun.listen/Bun.connect ping-pong with frames the size of a
 * FileStore get request and reply, no decoding, no storage. No FileStore latency can be lower
 * than this on the same machine, so targets are stated as a multiple of it.
 */
import { spawnPeer, stopPeer, waitForPort, readLogTail } from "../lib/child_process.ts";
import type { RunDurations } from "../lib/defaults.ts";
import { BenchError } from "../lib/errors.ts";
import { FramedClient } from "../lib/framed_client.ts";
import { buildFrame } from "../lib/frames.ts";
import { findFreePort } from "../lib/free_port.ts";
import { measureClosedLoop, measureOpenLoop } from "../lib/measure.ts";
import type { Measurement } from "../lib/result.ts";
import { makeTempDirectory, removeTempDirectory } from "../lib/temp_directory.ts";

export interface LoopbackOptions {
  /** Payload bytes of a request frame (after the 4-byte length). */
  requestPayloadBytes: number;
  /** Payload bytes of a reply frame. */
  replyPayloadBytes: number;
  /** Value size the frames stand for, for the printed shape. */
  valueSizeBytes: number;
  throughputClientsCount: number;
  throughputPipelineDepth: number;
  /** When set, also a run at this fixed rate (open loop) over the throughput connections. */
  openLoopRatePerSecond?: number;
  openLoopInflightMax: number;
  durations: RunDurations;
}

export async function runLoopbackBench(options: LoopbackOptions): Promise<Measurement[]> {
  const directory = makeTempDirectory("loopback");
  const port = findFreePort();
  const logPath = `${directory}/server.log`;
  const serverScript = new URL("./loopback_server.ts", import.meta.url).pathname;
  const server = spawnPeer([process.execPath, serverScript, String(port), String(options.replyPayloadBytes)], logPath);
  try {
    await waitForPort(port, server).catch(async (error: Error) => {
      throw new BenchError(`loopback server did not start: ${error.message} ${await readLogTail(logPath)}`);
    });
    return await measureAll(port, options);
  } finally {
    await stopPeer(server);
    removeTempDirectory(directory);
  }
}

async function measureAll(port: number, options: LoopbackOptions): Promise<Measurement[]> {
  const request = buildFrame(options.requestPayloadBytes);
  const label = (operation: string) => ({
    system: "loopback",
    operation,
    valueSizeBytes: options.valueSizeBytes,
    note: `frames ${options.requestPayloadBytes}/${options.replyPayloadBytes} B`,
  });
  const single = [await FramedClient.connect(port)];
  const many = await Promise.all(Array.from({ length: options.throughputClientsCount }, () => FramedClient.connect(port)));
  const senders = (clients: FramedClient[]) => clients.map((client) => () => client.request(request));
  try {
    const measurements = [
      await measureClosedLoop(label("ping-pong"), senders(single), 1, options.durations),
      await measureClosedLoop(label("pipelined"), senders(many), options.throughputPipelineDepth, options.durations),
    ];
    if (options.openLoopRatePerSecond !== undefined) {
      const rate = options.openLoopRatePerSecond;
      measurements.push(await measureOpenLoop(label("fixed rate"), senders(many), rate, options.openLoopInflightMax, options.durations));
    }
    return measurements;
  } finally {
    for (const client of [...single, ...many]) client.close();
  }
}
