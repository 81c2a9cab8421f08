/**
 * Durability across process ends, with the real program and the public client: a clean
 * SIGTERM shutdown while writes are in flight, and a SIGKILL followed by a restart on the same
 * port and data folder that the same client reconnects to. Every acknowledged write must be
 * readable afterwards.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { connect } from "../../src/client/index.ts";
import { waitFor } from "../support/wait_for.ts";
import { freshNodeArgs, nodesPerFile, type ServeProcess } from "./process_harness.ts";

const nodes = nodesPerFile("durability");

/** Concurrent writers, as a trading client would have. */
const writerCount = 8;
/** Upper bound of writes per writer, so the load stays bounded even if the kill came late. */
const writesPerWriterMax = 5000;
/** Writes acknowledged before the process is stopped. */
const acknowledgedBeforeStop = 300;
/** Reads tried, 10 ms apart, while the client reconnects to a restarting server: at least 30 s. */
const readAttemptsMax = 3000;
/** Each test starts and stops nodes several times; generous for a loaded 2-core machine. */
const testTimeoutMs = 120_000;

function startNode(dataDir: string, listen?: string): Promise<ServeProcess> {
  return nodes.start(freshNodeArgs(dataDir, listen));
}

type Store = Awaited<ReturnType<typeof connect>>;

/** Writers put distinct keys until told to stop; only acknowledged writes are recorded. */
function startWriters(db: Store, prefix: string) {
  const acknowledged = new Map<string, string>();
  const failures: unknown[] = [];
  let stopping = false;
  const done = Promise.all(
    Array.from({ length: writerCount }, async (_, writer) => {
      for (let index = 0; index < writesPerWriterMax && !stopping; index++) {
        const key = `${prefix}/${writer}/${index}`;
        const value = `value-${writer}-${index}`;
        try {
          await db.put(key, value);
          acknowledged.set(key, value);
        } catch (error) {
          failures.push(error); // outcome unknown or refused: not counted as acknowledged
        }
      }
    }),
  );
  return { acknowledged, failures, done, stop: () => (stopping = true) };
}

/** Reads one key, retrying while the client reconnects to a restarting server. */
async function getAfterRestart(db: Store, key: string): Promise<Uint8Array | null> {
  const read = await waitFor(() => db.get(key).then((value) => ({ value }), () => null), `a read of ${key}`, {
    attemptsMax: readAttemptsMax,
    intervalMs: 10,
  });
  return read.value;
}

async function expectAllReadable(db: Store, acknowledged: Map<string, string>): Promise<void> {
  const decoder = new TextDecoder();
  const missing: string[] = [];
  for (const [key, value] of acknowledged) {
    const stored = await getAfterRestart(db, key);
    if (stored === null || decoder.decode(stored) !== value) missing.push(key);
  }
  expect(missing).toEqual([]);
}

test("SIGTERM with writes in flight: exit 0, and every acknowledged write is there after a restart", async () => {
  const dataDir = join(nodes.folder, "sigterm");
  const node = await startNode(dataDir);
  const db = await connect(node.clientAddress, { timeoutMs: 5000 });
  const writers = startWriters(db, "term");
  await waitFor(() => writers.acknowledged.size >= acknowledgedBeforeStop, "writes acknowledged before the stop");
  const exitCode = await node.stop("SIGTERM");
  writers.stop();
  await writers.done;
  expect(exitCode).toBe(0);
  expect(node.stdout.lines).toContain("filestore stopped signal=SIGTERM");
  await db.close();

  const restarted = await startNode(dataDir);
  const reader = await connect(restarted.clientAddress, { timeoutMs: 5000 });
  await expectAllReadable(reader, writers.acknowledged);
  await reader.close();
  expect(await restarted.stop("SIGINT")).toBe(0);
}, testTimeoutMs);

test("SIGKILL, restart on the same port and data: the client reconnects and every acknowledged write is readable", async () => {
  const dataDir = join(nodes.folder, "sigkill");
  const first = await startNode(dataDir);
  const db = await connect(first.clientAddress, { timeoutMs: 2000 });
  const writers = startWriters(db, "kill");
  await waitFor(() => writers.acknowledged.size >= acknowledgedBeforeStop, "writes acknowledged before the stop");
  await first.stop("SIGKILL");
  writers.stop();
  await writers.done;

  const second = await startNode(dataDir, first.clientAddress);
  expect(second.clientPort).toBe(first.clientPort);
  await expectAllReadable(db, writers.acknowledged);
  // The reconnected client also writes.
  await db.put("kill/after-restart", "yes");
  expect(new TextDecoder().decode((await db.get("kill/after-restart"))!)).toBe("yes");
  await db.close();
  expect(await second.stop("SIGTERM")).toBe(0);
}, testTimeoutMs);
