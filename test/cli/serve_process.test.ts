/**
 * The real program: `serve` as a child process on free ports, the CLI commands as child
 * processes against it, checked by output bytes and exit codes.
 */
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ExitCode } from "../../src/cli/exit_codes.ts";
import { errorLines, nodePerFile, runCommand, sourceProgram, startServe } from "./process_harness.ts";

const shared = nodePerFile("serve");
const { cli, folder } = shared;

describe("client commands against a running node", () => {
  test("put prints the version; get prints the raw value; del removes it", async () => {
    const put = await cli(["put", "greeting", "hello"]);
    expect(put).toMatchObject({ exitCode: ExitCode.ok, stderrText: "" });
    expect(put.stdoutText).toMatch(/^\d+\n$/);
    const get = await cli(["get", "greeting"]);
    expect(get).toMatchObject({ exitCode: ExitCode.ok, stdoutText: "hello", stderrText: "" });
    expect(await cli(["del", "greeting"])).toMatchObject({ exitCode: ExitCode.ok, stdoutText: "", stderrText: "" });
  });

  test("a missing key: get and del exit 1 with one line on stderr and nothing on stdout", async () => {
    expect(await cli(["get", "absent"])).toMatchObject({
      exitCode: ExitCode.notFound,
      stdoutText: "",
      stderrText: "filestore: not found: absent\n",
    });
    expect(await cli(["del", "absent"])).toMatchObject({ exitCode: ExitCode.notFound, stdoutText: "" });
  });

  test("put KEY - stores stdin's bytes unchanged, binary included", async () => {
    const value = new Uint8Array(1280);
    for (let index = 0; index < value.length; index++) value[index] = (index * 7 + (index >> 8)) & 0xff;
    expect((await cli(["put", "binary", "-"], value)).exitCode).toBe(ExitCode.ok);
    const get = await cli(["get", "binary"]);
    expect(get.exitCode).toBe(ExitCode.ok);
    expect(get.stdout).toEqual(value);
  });

  test("a later put gets a higher version", async () => {
    const first = Number((await cli(["put", "versioned", "1"])).stdoutText);
    const second = Number((await cli(["put", "versioned", "2"])).stdoutText);
    expect(second).toBeGreaterThan(first);
  });

  test("scan: prefix, limit, keys only, one escaped line per entry", async () => {
    for (const [key, value] of [["scan/a", "1"], ["scan/b", "x\ty"], ["scan/c", "3"], ["scanner", "no"]]) {
      expect((await cli(["put", key, value])).exitCode).toBe(ExitCode.ok);
    }
    const all = await cli(["scan", "--prefix", "scan/"]);
    expect(all).toMatchObject({ exitCode: ExitCode.ok, stdoutText: "scan/a\t1\nscan/b\tx\\ty\nscan/c\t3\n", stderrText: "" });
    expect((await cli(["scan", "--prefix", "scan/", "--limit", "2"])).stdoutText).toBe("scan/a\t1\nscan/b\tx\\ty\n");
    expect((await cli(["scan", "-p", "scan", "-k"])).stdoutText).toBe("scan/a\nscan/b\nscan/c\nscanner\n");
    expect(await cli(["scan", "--prefix", "nothing-here/"])).toMatchObject({ exitCode: ExitCode.ok, stdoutText: "" });
  });

  test("the server's refusal exits 4 naming the status", async () => {
    const result = await cli(["put", "", "empty key"]);
    expect(result.exitCode).toBe(ExitCode.requestFailed);
    expect(result.stderrText).toMatch(/^filestore: INVALID_REQUEST: .+\n$/);
  });
});

describe("command line without a server", () => {
  test("usage errors exit 2 with one line on stderr", async () => {
    for (const args of [["get"], ["frobnicate"], ["scan", "--limit", "0"], ["put", "k", "v", "--bogus"], []]) {
      const result = await runCommand(sourceProgram, args);
      expect(result.exitCode).toBe(ExitCode.usage);
      expect(result.stdoutText).toBe("");
      expect(result.stderrText).toMatch(/^filestore: [^\n]+\n$/);
    }
  });

  test("--help, help COMMAND and COMMAND --help print to stdout and exit 0", async () => {
    const general = await runCommand(sourceProgram, ["--help"]);
    expect(general.exitCode).toBe(ExitCode.ok);
    expect(general.stdoutText).toContain("Usage: filestore COMMAND");
    expect(general.stdoutText).toContain("Exit codes:");
    const viaHelp = await runCommand(sourceProgram, ["help", "scan"]);
    const viaFlag = await runCommand(sourceProgram, ["scan", "--help"]);
    expect(viaHelp.exitCode).toBe(ExitCode.ok);
    expect(viaHelp.stdoutText).toBe(viaFlag.stdoutText);
    expect(viaHelp.stdoutText).toContain("--prefix P");
  });

  test("an unreachable server exits 3 with one line on stderr", async () => {
    const closed = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = closed.port;
    closed.stop(true);
    const result = await runCommand(sourceProgram, ["get", "k", "--server", `127.0.0.1:${port}`, "--timeout-ms", "2000"]);
    expect(result.exitCode).toBe(ExitCode.unavailable);
    expect(result.stderrText).toMatch(/^filestore: [^\n]+\n$/);
  });
});

describe("serve configuration and start-up failures", () => {
  test("a bad flag value exits 5 naming the setting", async () => {
    const result = await runCommand(sourceProgram, ["serve", "--fsync", "sometimes", "--data", join(folder, "x")]);
    expect(result.exitCode).toBe(ExitCode.serveFailed);
    expect(result.stderrText).toBe(
      'filestore: config: fsync (from --fsync): must be one of always, batch, unsafe-no-fsync; got "sometimes"\n',
    );
  });

  test("a missing config file exits 5 naming the file", async () => {
    const result = await runCommand(sourceProgram, ["serve", "--config", join(folder, "absent.toml")]);
    expect(result.exitCode).toBe(ExitCode.serveFailed);
    expect(result.stderrText).toContain("absent.toml): file not found");
  });

  test("settings come from the config file, and flags override it", async () => {
    const configPath = join(folder, "node.toml");
    const fileData = join(folder, "from-file");
    writeFileSync(configPath, `listen = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\ndata = "${fileData}"\nfsync = "batch"\n`);
    const fromFile = await startServe(sourceProgram, ["--config", configPath]);
    expect(fromFile.stdout.lines[0]).toEndWith(`data=${fileData} fsync=batch`);
    expect(await fromFile.stop("SIGTERM")).toBe(0);
    const flagData = join(folder, "from-flag");
    const overridden = await startServe(sourceProgram, ["--config", configPath, "--data", flagData, "--fsync", "always"]);
    expect(overridden.stdout.lines[0]).toEndWith(`data=${flagData} fsync=always`);
    expect(await overridden.stop("SIGTERM")).toBe(0);
  });

  test("a client port already in use exits 5 naming the port", async () => {
    const address = shared.node.clientAddress;
    const args = ["serve", "--listen", address, "--admin", "127.0.0.1:0", "--data", join(folder, "busy")];
    const result = await runCommand(sourceProgram, args);
    expect(result.exitCode).toBe(ExitCode.serveFailed);
    // One error line, the last one: the node's log lines of the failed start come before it.
    const [errorLine, ...more] = errorLines(result.stderrText);
    expect(more).toEqual([]);
    expect(errorLine).toStartWith(`filestore: client port ${address}: `);
    expect(result.stderrText).toEndWith(`${errorLine}\n`);
  });
});

describe("admin endpoint of a running node", () => {
  test("/healthz is 200 while serving", async () => {
    const response = await fetch(`${shared.node.adminUrl}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("ok\n");
  });

  test("/metrics counts the requests served and shows log, index and fsync figures", async () => {
    expect((await cli(["put", "metered", "m"])).exitCode).toBe(ExitCode.ok);
    expect((await cli(["get", "metered"])).exitCode).toBe(ExitCode.ok);
    const text = await (await fetch(`${shared.node.adminUrl}/metrics`)).text();
    const count = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
    expect(count(/^filestore_requests_total\{op="put",status="OK"\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
    expect(count(/^filestore_requests_total\{op="get",status="OK"\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
    expect(count(/^filestore_request_duration_seconds_count\{op="get"\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
    expect(count(/^filestore_received_bytes_total (\d+)$/m)).toBeGreaterThan(0);
    expect(count(/^filestore_sent_bytes_total (\d+)$/m)).toBeGreaterThan(0);
    expect(count(/^filestore_log_size_bytes (\d+)$/m)).toBeGreaterThan(0);
    expect(count(/^filestore_index_size_bytes (\d+)$/m)).toBeGreaterThan(0);
    expect(count(/^filestore_keys (\d+)$/m)).toBeGreaterThan(0);
    expect(count(/^filestore_connections (\d+)$/m)).toBeGreaterThanOrEqual(0);
    expect(count(/^filestore_fsync_duration_seconds_count (\d+)$/m)).toBeGreaterThan(0);
  });
});
