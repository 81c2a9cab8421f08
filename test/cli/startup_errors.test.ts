/**
 * Start-up failures of `serve` in words, with the real program: a busy client, admin or peer port
 * names the port and says "address already in use" (not Bun's "Failed to listen at 127.0.0.1"),
 * and a data folder path that is a file says so (not a raw "EEXIST ... mkdir"). Each exits 5
 * with exactly one `filestore: ` line on stderr (after the log lines of the steps that ran). Other
 * OS errors' words: test/util/system_error_text.test.ts.
 */
import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ExitCode } from "../../src/cli/exit_codes.ts";
import { errorLines, makeTempDir, runCommand, sourceProgram } from "./process_harness.ts";

const workDir = makeTempDir("startup-errors");
/** A port held by this test process for the whole file, so a node started on it cannot bind it. */
const busy = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
const busyAddress = `127.0.0.1:${busy.port}`;

afterAll(() => {
  busy.stop(true);
  workDir.remove();
});

async function serveFails(args: string[]): Promise<string> {
  const result = await runCommand(sourceProgram, ["serve", ...args]);
  expect(result.exitCode).toBe(ExitCode.serveFailed);
  expect(result.stdoutText).toBe("");
  return errorLines(result.stderrText).map((line) => `${line}\n`).join("");
}

test("a busy client port: the port and 'address already in use'", async () => {
  const data = join(workDir.path, "client");
  const stderr = await serveFails(["--listen", busyAddress, "--admin", "127.0.0.1:0", "--data", data]);
  expect(stderr).toBe(`filestore: client port ${busyAddress}: address already in use\n`);
});

test("a busy admin port: the port and 'address already in use'", async () => {
  const data = join(workDir.path, "admin");
  const stderr = await serveFails(["--listen", "127.0.0.1:0", "--admin", busyAddress, "--data", data]);
  expect(stderr).toBe(`filestore: admin port ${busyAddress}: address already in use\n`);
});

test("a busy peer port: the port and 'address already in use'", async () => {
  const data = join(workDir.path, "peer");
  const args = [
    "--listen",
    "127.0.0.1:0",
    "--admin",
    "127.0.0.1:0",
    "--data",
    data,
    "--node-id",
    "n1",
    "--peers",
    `n1=${busyAddress}`,
  ];
  expect(await serveFails(args)).toBe(`filestore: peer port ${busyAddress}: address already in use\n`);
});

test("a data folder path that is a file: 'exists and is not a folder'", async () => {
  const file = join(workDir.path, "a-file");
  writeFileSync(file, "not a folder");
  const stderr = await serveFails(["--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--data", file]);
  expect(stderr).toBe(`filestore: data folder ${file}: exists and is not a folder\n`);
});

test("a data folder under a file: 'a part of the path is not a folder'", async () => {
  const file = join(workDir.path, "another-file");
  writeFileSync(file, "not a folder");
  const data = join(file, "data");
  const stderr = await serveFails(["--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--data", data]);
  expect(stderr).toBe(`filestore: data folder ${data}: a part of the path is not a folder\n`);
});
