/**
 * The single-file program: `bun build --compile` (what `bun run build` does) into a temp
 * folder, then that file serves, answers its own CLI commands and writes its log (logfmt, JSON),
 * and refuses a second node on the data folder in use (the lock's flock through bun:ffi works in
 * the compiled file too).
 */
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { ExitCode } from "../../src/cli/exit_codes.ts";
import {
  folderInUseLine, freshNodeArgs, makeTempDir, processWaitMsMax, repositoryRoot, runCommand, startServe,
  type ServeProcess,
} from "./process_harness.ts";
import { parseJsonLogLines } from "../util/json_log.ts";

const workDir = makeTempDir("compiled");
let node: ServeProcess | null = null;
/** Building (~1 s alone, more on a loaded machine) plus starting and stopping a node. */
const buildAndServeTimeoutMs = 120_000;

afterAll(async () => {
  await node?.stop("SIGTERM");
  workDir.remove();
}, buildAndServeTimeoutMs);

test("the compiled file serves, answers put/get/scan and stops cleanly on SIGTERM", async () => {
  const binary = join(workDir.path, "filestore");
  const build = Bun.spawnSync([process.execPath, "build", "--compile", "./src/main.ts", "--outfile", binary], {
    cwd: repositoryRoot,
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(build.stderr.toString()).not.toContain("error");
  expect(build.exitCode).toBe(0);

  const help = await runCommand([binary], ["--help"]);
  expect(help.exitCode).toBe(ExitCode.ok);
  expect(help.stdoutText).toContain("Usage: filestore COMMAND");

  const dataDir = join(workDir.path, "data");
  node = await startServe([binary], freshNodeArgs(dataDir));
  const server = ["--server", node.clientAddress];
  expect((await runCommand([binary], ["put", "compiled/k", "v1", ...server])).exitCode).toBe(ExitCode.ok);
  expect(await runCommand([binary], ["get", "compiled/k", ...server])).toMatchObject({ exitCode: ExitCode.ok, stdoutText: "v1" });
  expect((await runCommand([binary], ["scan", "--prefix", "compiled/", ...server])).stdoutText).toBe("compiled/k\tv1\n");
  expect((await fetch(`${node.adminUrl}/healthz`)).status).toBe(200);

  const second = await runCommand([binary], ["serve", ...freshNodeArgs(dataDir)]);
  expect(second.exitCode).toBe(ExitCode.serveFailed);
  expect(second.stderrText).toBe(folderInUseLine(dataDir, node.process.pid));

  expect(await node.stop("SIGTERM")).toBe(0);
  // The compiled node logs (pino inside the binary): logfmt by default, JSON when asked.
  const isStopped = (line: string) => line.includes("level=info msg=stopped signal=SIGTERM");
  const stopped = await node.stderr.waitFor(isStopped, processWaitMsMax);
  expect(stopped).not.toBeNull();
  expect(node.stderr.lines[0]).toMatch(/^time=\S+ level=info msg=starting version=\S+ listen=/);

  node = await startServe([binary], [...freshNodeArgs(join(workDir.path, "data")), "--log-format", "json"]);
  expect(await node.stop("SIGTERM")).toBe(0);
  await node.stderr.waitFor(() => false, processWaitMsMax);
  const messages = parseJsonLogLines(node.stderr.lines).map((event) => event.msg);
  expect(messages).toContain("engine recovered");
  expect(messages.at(-1)).toBe("stopped");
  node = null;
}, buildAndServeTimeoutMs);
