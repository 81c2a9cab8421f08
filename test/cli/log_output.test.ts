/**
 * The operational log of a real `filestore serve` process on stderr: the recovery line of a torn
 * tail (written, killed with SIGKILL, garbage appended to the last segment, restarted) names the
 * file and the offset cut, in JSON and in the default logfmt; --log-level filters; and requests
 * log nothing, at info or at debug.
 */
import { expect, test } from "bun:test";
import { appendFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { connect } from "../../src/client/index.ts";
import packageJson from "../../package.json";
import { parseJsonLogLines, waitForLogLine } from "../util/json_log.ts";
import { freshNodeArgs, nodesPerFile, processWaitMsMax, type ServeProcess } from "./process_harness.ts";

const nodes = nodesPerFile("log-output");

/** Writes before the kill; each is one record of the engine's log. */
const writes = 20;
/** Not a record: its length field is far past the largest record, so recovery cuts it as a torn tail. */
const garbage = new Uint8Array(37).fill(0xab);
/** Requests of the "nothing per request" test: enough that a line per request could not hide. */
const requests = 400;

function startNode(dataDir: string, flags: string[]): Promise<ServeProcess> {
  return nodes.start([...freshNodeArgs(dataDir), ...flags]);
}

/** Writes `writes` keys, SIGKILLs the node, appends garbage to the last segment; returns it and its size before. */
async function crashWithTornTail(dataDir: string): Promise<{ segment: string; cleanSize: number }> {
  const node = await startNode(dataDir, []);
  const db = await connect(node.clientAddress, { timeoutMs: processWaitMsMax });
  for (let index = 0; index < writes; index++) await db.put(`key/${index}`, `value-${index}`);
  await db.close();
  await node.stop("SIGKILL");
  const logDir = join(dataDir, "log");
  const segments = readdirSync(logDir).filter((name) => name.endsWith(".log")).sort();
  const segment = join(logDir, segments.at(-1)!);
  const cleanSize = statSync(segment).size;
  appendFileSync(segment, garbage);
  return { segment, cleanSize };
}

/** Waits for the process to exit and its stderr to end; returns every line. */
async function allLines(node: ServeProcess): Promise<string[]> {
  await node.process.exited;
  await node.stderr.waitFor(() => false, processWaitMsMax);
  return node.stderr.lines.filter((line) => line !== "");
}

test("a torn tail at restart is logged as JSON with the file and the offset cut", async () => {
  const dataDir = join(nodes.folder, "torn-json");
  const { segment, cleanSize } = await crashWithTornTail(dataDir);
  const node = await startNode(dataDir, ["--log-format", "json"]);
  const torn = await waitForLogLine(node.stderr.lines, (event) => event.msg === "torn tail cut", "the torn tail line");
  const { time } = torn;
  const bytes = garbage.length;
  expect(torn).toEqual({ level: "warn", time, file: segment, offset: cleanSize, bytes, msg: "torn tail cut" });
  const events = parseJsonLogLines(node.stderr.lines);
  const recovered = events.find((event) => event.msg === "log recovered");
  expect(recovered).toMatchObject({ dir: join(dataDir, "log"), records: writes });
  const replayed = events.find((event) => event.msg === "engine recovered");
  expect(replayed).toMatchObject({ checkpoint: "absent", records_replayed: writes });
  const db = await connect(node.clientAddress, { timeoutMs: processWaitMsMax });
  expect(new TextDecoder().decode((await db.get(`key/${writes - 1}`))!)).toBe(`value-${writes - 1}`);
  await db.close();
  expect(await node.stop("SIGTERM")).toBe(0);
});

test("logfmt by default; --log-level warn keeps only warnings and errors", async () => {
  const dataDir = join(nodes.folder, "torn-logfmt");
  const { segment, cleanSize } = await crashWithTornTail(dataDir);
  const node = await startNode(dataDir, ["--log-level", "warn"]);
  expect(await node.stop("SIGTERM")).toBe(0);
  const lines = await allLines(node);
  expect(lines).toHaveLength(1);
  const time = /^time=(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) /.exec(lines[0])?.[1];
  const fields = `file=${segment} offset=${cleanSize} bytes=${garbage.length}`;
  expect(lines[0]).toBe(`time=${time} level=warn msg="torn tail cut" ${fields}`);
});

test("at the default level, logfmt lines tell the start, the recovery and the stop", async () => {
  const node = await startNode(join(nodes.folder, "logfmt-info"), []);
  expect(await node.stop("SIGINT")).toBe(0);
  const messages = (await allLines(node)).map((line) => {
    expect(line).toMatch(/^time=\S+ level=info msg=/);
    const starting = ` msg=starting version=${packageJson.version} listen=127.0.0.1:0 `;
    if (line.includes("msg=starting")) expect(line).toContain(starting);
    return /msg=("(?:[^"\\]|\\.)*"|\S+)/.exec(line)![1].replace(/^"|"$/g, "");
  });
  expect(messages).toEqual([
    "starting",
    "log recovered",
    "engine recovered",
    "listening",
    "shutting down",
    "client port closed; requests in flight answered",
    "checkpoint written",
    "engine closed; its log synced",
    "admin endpoint closed",
    "stopped",
  ]);
});

test("--slow-fsync-ms 0 reports the fdatasyncs of the log (at most one line a second)", async () => {
  const dataDir = join(nodes.folder, "slow-fsync");
  const node = await startNode(dataDir, ["--log-format", "json", "--slow-fsync-ms", "0"]);
  const db = await connect(node.clientAddress, { timeoutMs: processWaitMsMax });
  await db.put("key", "value");
  await db.close();
  const slow = await waitForLogLine(node.stderr.lines, (event) => event.msg === "slow fsync", "the slow fsync line");
  expect(slow).toMatchObject({ level: "warn", dir: join(dataDir, "log"), threshold_ms: 0, count: 1 });
  expect(await node.stop("SIGTERM")).toBe(0);
});

test("requests log nothing, even at debug level", async () => {
  const node = await startNode(join(nodes.folder, "quiet"), ["--log-format", "json", "--log-level", "debug"]);
  await waitForLogLine(node.stderr.lines, (event) => event.msg === "listening", "the listening line");
  const db = await connect(node.clientAddress, { timeoutMs: processWaitMsMax });
  for (let index = 0; index < requests / 2; index++) {
    await db.put(`key/${index}`, "value");
    await db.get(`key/${index}`);
  }
  await db.close();
  expect(await node.stop("SIGTERM")).toBe(0);
  const messages = parseJsonLogLines(await allLines(node)).map((event) => event.msg);
  const listening = messages.indexOf("listening");
  expect(messages.slice(listening + 1, messages.indexOf("shutting down"))).toEqual([]);
});
