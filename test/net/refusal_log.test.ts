/**
 * The client-port server logs what its limits refuse (connections past connections-max, frames
 * over the limit, requests past the in-flight limit), at most once a second per kind with a
 * count: the counts of the lines add up to the refusals the clients saw.
 */
import { expect, test } from "bun:test";
import type { ServerLimits } from "../../src/net/limits";
import { CollectingLogger, type LoggedLine } from "../util/collecting_logger.ts";
import { MemoryService } from "./memory_service";
import { serverPerTest } from "./per_test_server";
import { bytes, request, wireFrame } from "./wire_fixtures";

const servers = serverPerTest();
const client = servers.client;

async function start(limits: Partial<ServerLimits>): Promise<{ logger: CollectingLogger; port: number }> {
  const logger = new CollectingLogger();
  // Held-back lines wait for close(): the test sees exactly the first line and one summing the rest.
  const logSchedule = () => () => {};
  const server = await servers.start({ service: new MemoryService(), limits, logger, logSchedule });
  return { logger, port: server.port };
}

/** Closes the server, which writes the lines still held back, and sums the counts of `message`'s lines. */
async function countedAfterClose(
  logger: CollectingLogger,
  message: string,
): Promise<{ lines: LoggedLine[]; count: number }> {
  await servers.close();
  const lines = logger.lines.filter((line) => line.message === message);
  return { lines, count: lines.reduce((sum, line) => sum + (line.fields.count as number), 0) };
}

const put = (id: number, key: string) =>
  wireFrame(request(id, { kind: "write", command: { op: "put", key: bytes(key), value: bytes("v") } }));

test("connections past connections-max: logged with the limit, every refusal counted", async () => {
  const { logger, port } = await start({ connectionsMax: 1 });
  const admitted = await client(port);
  admitted.send(put(1, "a"));
  expect((await admitted.reply(1)).status).toBe("OK");
  const refusedCount = 6;
  for (let attempt = 0; attempt < refusedCount; attempt++) {
    const refused = await client(port);
    await refused.waitClosed();
  }
  const { lines, count } = await countedAfterClose(logger, "client connection refused: connections-max reached");
  expect(count).toBe(refusedCount);
  expect(lines[0]).toMatchObject({ level: "warn", fields: { limit: 1, remote: "127.0.0.1", count: 1 } });
  expect(lines.map((line) => line.fields.count)).toEqual([1, refusedCount - 1]);
});

test("a frame over the limit: logged with the limit and the reason, and the connection closed", async () => {
  const { logger, port } = await start({ frameSizeBytesMax: 64 * 1024, valueSizeBytesMax: 32 * 1024 });
  const raw = await client(port);
  raw.send(new Uint8Array([0x00, 0x00, 0x10, 0x00])); // a 1 MiB frame announced
  await raw.waitClosed();
  const { lines, count } = await countedAfterClose(logger, "client frame too large: connection closed");
  expect(count).toBe(1);
  expect(lines[0].fields).toMatchObject({ limit_bytes: 64 * 1024, remote: "127.0.0.1", count: 1 });
  expect(String(lines[0].fields.reason)).toContain("1048576 bytes");
});

test("requests past the in-flight limit: one line for many OVERLOADED replies", async () => {
  const { logger, port } = await start({ inflightRequestsPerConnectionMax: 1 });
  const raw = await client(port);
  const requests = 50;
  raw.send(Buffer.concat(Array.from({ length: requests }, (_, index) => put(index + 1, `k${index}`))));
  const statuses: string[] = [];
  for (let id = 1; id <= requests; id++) statuses.push((await raw.reply(id)).status);
  const overloaded = statuses.filter((status) => status === "OVERLOADED").length;
  expect(overloaded).toBeGreaterThan(0);
  const { lines, count } = await countedAfterClose(logger, "client requests refused: too many in flight (OVERLOADED)");
  expect(count).toBe(overloaded);
  expect(lines[0].fields).toMatchObject({ per_connection_limit: 1, count: 1 });
  expect(lines.map((line) => line.fields.count)).toEqual(overloaded === 1 ? [1] : [1, overloaded - 1]);
});
