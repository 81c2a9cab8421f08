/**
 * The client's connection-failure texts as a user of the `filestore` program meets them (real
 * processes): the unreachable server, a server that accepts and never answers (with
 * --timeout-ms), the admin port given as the client port, an address without a port. Each is
 * one stderr line saying each fact once; the exit codes are the CLI's (src/cli/exit_codes.ts).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  freshNodeArgs, makeTempDir, runCommand, sourceProgram, startServe, type ServeProcess,
} from "../cli/process_harness.ts";
import { closedAddress, startSilentServer } from "./portable/filestore_process.ts";

let node: ServeProcess;
/** How the CLI prints every connect failure: its prefix, then the client's message. */
const unreachable = "filestore: UNAVAILABLE: could not reach a FileStore server: ";
let data: { path: string; remove(): void };

beforeAll(async () => {
  data = makeTempDir("client-texts");
  node = await startServe(sourceProgram, freshNodeArgs(data.path));
});

afterAll(async () => {
  await node?.stop("SIGKILL");
  data?.remove();
});

async function stderrOf(args: string[]): Promise<string[]> {
  const result = await runCommand(sourceProgram, args);
  expect(result.exitCode).not.toBe(0);
  return result.stderrText.split("\n").filter((line) => line !== "");
}

test("a port where nothing listens: one line, UNAVAILABLE once", async () => {
  const address = await closedAddress();
  expect(await stderrOf(["get", "k", "--server", address])).toEqual([
    `${unreachable}${address}: connection refused (nothing listens on that port)`,
  ]);
});

test("a server that never answers, with --timeout-ms: a timeout, not a closed connection", async () => {
  const silent = await startSilentServer();
  try {
    expect(await stderrOf(["get", "k", "--server", silent.address, "--timeout-ms", "300"])).toEqual([
      `${unreachable}${silent.address}: connected, but no answer within 300 ms`,
    ]);
  } finally {
    await silent.stop();
  }
});

test("the admin port given as the server: says it answered with HTTP", async () => {
  const admin = node.adminUrl.replace("http://", "");
  const reason = "answered with HTTP: this looks like the admin endpoint; use the client port";
  expect(await stderrOf(["put", "k", "v", "--server", admin])).toEqual([
    `${unreachable}${admin}: ${reason}`,
  ]);
});

test("an address without a port is a usage error, said once", async () => {
  const result = await runCommand(sourceProgram, ["get", "k", "--server", "127.0.0.1"]);
  expect(result.exitCode).toBe(2);
  expect(result.stderrText).toBe(`filestore: get: --server must be HOST:PORT, got "127.0.0.1"\n`);
});
