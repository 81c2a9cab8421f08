/**
 * The ready line `serve` prints on stdout, as the README and `filestore help serve` show it: a
 * single node prints client, admin, data and fsync; a replica adds `node=` with the name it was
 * given (never the internal number Raft uses for a name like db-a) and `peer=` with its peer port.
 */
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { findFreePort } from "../../bench/lib/free_port.ts";
import { freshNodeArgs, makeTempDir, sourceProgram, startServe } from "./process_harness.ts";

const dataDir = makeTempDir("ready-line");
afterAll(() => dataDir.remove());

/** The ready line of a node started with `args`, which is then stopped. */
async function readyLine(args: string[]): Promise<string> {
  const node = await startServe(sourceProgram, args);
  const line = node.stdout.lines.find((text) => text.startsWith("filestore listening "))!;
  expect(await node.stop("SIGTERM")).toBe(0);
  return line;
}

test("a single node's ready line names its ports, data folder and fsync mode", async () => {
  const line = await readyLine([...freshNodeArgs(join(dataDir.path, "single")), "--fsync", "batch"]);
  const data = join(dataDir.path, "single");
  expect(line).toMatch(/^filestore listening client=127\.0\.0\.1:\d+ admin=127\.0\.0\.1:\d+ data=/);
  expect(line).toEndWith(` data=${data} fsync=batch`);
});

test("a replica's ready line names it as --node-id does (db-a), with its peer port", async () => {
  const peer = `127.0.0.1:${findFreePort()}`;
  const args = [...freshNodeArgs(join(dataDir.path, "db-a")), "--node-id", "db-a", "--peers", `db-a=${peer}`];
  const line = await readyLine(args);
  expect(line).toEndWith(` fsync=always node=db-a peer=${peer}`);
});
