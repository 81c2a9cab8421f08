/**
 * The data commands in process, over a recording store: what each command line asks of the
 * client (read consistency and staleness, the cas and batch arguments, latency's probes), which
 * a single real node cannot tell apart. Output goes to the test's stdout.
 */
import { expect, test } from "bun:test";
import { runClientCommand, type CliStore } from "../../src/cli/client_commands.ts";
import { ExitCode } from "../../src/cli/exit_codes.ts";
import { parseCommandLine } from "../../src/cli/parse.ts";

interface Call {
  method: string;
  args: unknown[];
}

function recordingStore(calls: Call[]): CliStore {
  const record = (method: string, args: unknown[]) => calls.push({ method, args });
  return {
    put: async (...args) => (record("put", args), { version: 1n }),
    get: async (...args) => (record("get", args), new Uint8Array([0x76])),
    delete: async (...args) => (record("delete", args), true),
    cas: async (...args) => (record("cas", args), true),
    batch: async (...args) => (record("batch", args), { succeeded: true, version: 2n }),
    scan: (...args) => {
      record("scan", args);
      return (async function* () {})();
    },
    close: async () => {},
  };
}

async function run(argv: string[]): Promise<{ exitCode: number; calls: Call[]; server: string }> {
  const parsed = parseCommandLine(argv);
  if (parsed.kind !== "run") throw new Error(`not a command: ${argv.join(" ")}`);
  const calls: Call[] = [];
  let server = "";
  const exitCode = await runClientCommand({ ...parsed, stdoutIsTerminal: false }, async (address) => {
    server = address;
    return recordingStore(calls);
  });
  return { exitCode, calls, server };
}

test("get and scan pass --consistency and --max-staleness-ms to the client", async () => {
  expect((await run(["get", "k", "--consistency", "bounded", "--max-staleness-ms", "250"])).calls).toEqual([
    { method: "get", args: ["k", { consistency: "bounded", maxStalenessMs: 250 }] },
  ]);
  expect((await run(["get", "k"])).calls).toEqual([{ method: "get", args: ["k", {}] }]);
  expect((await run(["scan", "-p", "a/", "--consistency", "eventual"])).calls).toEqual([
    { method: "scan", args: [{ consistency: "eventual", prefix: "a/", limit: undefined }] },
  ]);
});

test("cas passes EXPECTED, or null for --absent; --server is used as given", async () => {
  const plain = await run(["cas", "k", "old", "new", "--server", "db.internal:7400"]);
  expect(plain).toEqual({
    exitCode: ExitCode.ok,
    calls: [{ method: "cas", args: ["k", "old", "new"] }],
    server: "db.internal:7400",
  });
  expect((await run(["cas", "--absent", "k", "new"])).calls).toEqual([{ method: "cas", args: ["k", null, "new"] }]);
});

test("latency probes the key with gets at the asked consistency, for --count intervals", async () => {
  const { exitCode, calls } = await run([
    "latency", "--count", "2", "--interval-ms", "1", "--gap-ms", "0", "--key", "probe", "--consistency", "eventual",
  ]);
  expect(exitCode).toBe(ExitCode.ok);
  expect(calls.length).toBeGreaterThanOrEqual(2);
  expect(new Set(calls.map((call) => JSON.stringify(call)))).toEqual(
    new Set([JSON.stringify({ method: "get", args: ["probe", { consistency: "eventual" }] })]),
  );
});
