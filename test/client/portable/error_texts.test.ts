/**
 * What the client says when it cannot reach a server: one line per address, each fact once,
 * in the same words under Bun and Node.js. Against a port where nothing listens, a server that
 * accepts and never answers, and the admin (HTTP) port of a real server process.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connect, FileStoreError } from "filestore";
import { closedAddress, startFileStore, startSilentServer, type FileStoreProcess } from "./filestore_process.ts";

let server: FileStoreProcess;
/** How every connect failure starts, said once. */
const unreachable = "UNAVAILABLE: could not reach a FileStore server: ";

before(async () => {
  server = await startFileStore();
});

after(async () => {
  await server?.stop();
});

async function failure(promise: Promise<unknown>): Promise<FileStoreError> {
  const error = await promise.then(() => null, (caught: unknown) => caught);
  assert.ok(error instanceof FileStoreError, `expected a FileStoreError, got ${String(error)}`);
  return error;
}

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

test("nothing listening: UNAVAILABLE, said once, with the address and the reason", async () => {
  const address = await closedAddress();
  for (const cluster of [false, true]) {
    const error = await failure(connect(address, { timeoutMs: 2000, cluster }));
    assert.equal(error.code, "UNAVAILABLE");
    assert.equal(error.message, `${unreachable}${address}: connection refused (nothing listens on that port)`);
  }
});

test("a list where nothing answers names every address once", async () => {
  const [first, second] = [await closedAddress(), await closedAddress()];
  const error = await failure(connect([first, second], { timeoutMs: 2000 }));
  assert.equal(occurrences(error.message, "UNAVAILABLE"), 1, error.message);
  assert.equal(occurrences(error.message, "could not reach"), 1, error.message);
  assert.deepEqual([occurrences(error.message, first), occurrences(error.message, second)], [1, 1], error.message);
});

test("a server that accepts and never answers is a timeout, not a closed connection", async () => {
  const silent = await startSilentServer();
  try {
    for (const cluster of [false, true]) {
      const error = await failure(connect(silent.address, { timeoutMs: 200, cluster }));
      assert.equal(error.message, `${unreachable}${silent.address}: connected, but no answer within 200 ms`);
    }
  } finally {
    await silent.stop();
  }
});

test("the admin port is recognised by its HTTP answer", async () => {
  const error = await failure(connect(server.adminAddress, { timeoutMs: 5000 }));
  assert.equal(error.code, "UNAVAILABLE");
  const reason = "answered with HTTP: this looks like the admin endpoint; use the client port";
  assert.equal(error.message, `${unreachable}${server.adminAddress}: ${reason}`);
});

test("a list with one reachable member connects to it", async () => {
  const db = await connect([await closedAddress(), server.clientAddress], { timeoutMs: 5000 });
  try {
    await db.put("reachable", "yes");
    assert.equal(new TextDecoder().decode((await db.get("reachable"))!), "yes");
  } finally {
    await db.close();
  }
});
