/**
 * The loopback floor: a raw Bun.listen/Bun.connect ping-pong with frames the size of a
 * FileStore get request and reply, no decoding, no storage. No FileStore latency can be lower
 * than this on the same machine, so targets are stated as a multiple of it.
 */
import { spawnPeer, stopPeer, waitForPort, readLogTail } from "../lib/child_process.ts";
import { runClosedLoop } from "../lib/closed_loop.ts";
import type { RunDurations } from "../lib/defaults.ts";
import { BenchError } from "../lib/errors.ts";
import { FramedClient } from "../lib/framed_client.ts";
import { buildFrame } from "../lib/frames.ts";
import { findFreePort } from "../lib/free_port.ts";
import type { LoadOutcome } from "../lib/load.ts";
import type { BenchShape, Measurement } from "../lib/result.ts";
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
    const pingPong = await measure(port, options, 1, 1);
    const pipelined = await measure(port, options, options.throughputClientsCount, options.throughputPipelineDepth);
    return [pingPong, pipelined];
  } finally {
    await stopPeer(server);
    removeTempDirectory(directory);
  }
}

async function measure(
  port: number,
  options: LoopbackOptions,
  clientsCount: number,
  pipelineDepth: number,
): Promise<Measurement> {
  const request = buildFrame(options.requestPayloadBytes);
  const clients = await Promise.all(Array.from({ length: clientsCount }, () => FramedClient.connect(port)));
  let outcome: LoadOutcome;
  try {
    outcome = await runClosedLoop({
      senders: clients.map((client) => () => client.request(request)),
      pipelineDepth,
      warmupMilliseconds: options.durations.warmupMilliseconds,
      durationMilliseconds: options.durations.measureMilliseconds,
    });
  } finally {
    for (const client of clients) client.close();
  }
  const shape: BenchShape = {
    valueSizeBytes: options.valueSizeBytes,
    clients: clientsCount,
    pipelineDepth,
    loop: "closed",
    note: `frames ${options.requestPayloadBytes}/${options.replyPayloadBytes} B`,
  };
  return {
    system: "loopback",
    operation: pipelineDepth === 1 && clientsCount === 1 ? "ping-pong" : "pipelined",
    shape,
    latency: outcome.histogram.summary(),
    throughputPerSecond: outcome.throughputPerSecond,
  };
}
