/**
 * The data commands the client has and the CLI gained: `cas` (with --absent), `batch` from JSON
 * lines on stdin, `--consistency`/`--max-staleness-ms` and `--json` on get and scan, run as real
 * processes against a real node, checked by output and exit code.
 */
import { describe, expect, test } from "bun:test";
import { ExitCode } from "../../src/cli/exit_codes.ts";
import { nodePerFile } from "./process_harness.ts";

const { cli } = nodePerFile("data-commands");
const valueOf = async (key: string) => (await cli(["get", key])).stdoutText;

describe("cas", () => {
  test("writes when the key holds EXPECTED; exits 1 and writes nothing when it does not", async () => {
    expect((await cli(["put", "cas/a", "100"])).exitCode).toBe(ExitCode.ok);
    const written = await cli(["cas", "cas/a", "100", "95"]);
    expect(written).toMatchObject({ exitCode: ExitCode.ok, stdoutText: "", stderrText: "" });
    expect(await valueOf("cas/a")).toBe("95");
    expect(await cli(["cas", "cas/a", "100", "90"])).toMatchObject({
      exitCode: ExitCode.conditionNotMet,
      stdoutText: "",
      stderrText: "filestore: cas: cas/a did not hold the expected value; nothing was written\n",
    });
    expect(await valueOf("cas/a")).toBe("95");
  });

  test("--absent writes only a key that does not exist", async () => {
    expect((await cli(["cas", "--absent", "cas/new", "first"])).exitCode).toBe(ExitCode.ok);
    expect(await valueOf("cas/new")).toBe("first");
    expect(await cli(["cas", "cas/new", "--absent", "second"])).toMatchObject({
      exitCode: ExitCode.conditionNotMet,
      stderrText: "filestore: cas: cas/new exists; nothing was written\n",
    });
    expect(await valueOf("cas/new")).toBe("first");
  });

  test("NEW - reads the value from stdin; a wrong argument count is a usage error", async () => {
    expect((await cli(["cas", "--absent", "cas/stdin", "-"], "from stdin")).exitCode).toBe(ExitCode.ok);
    expect(await valueOf("cas/stdin")).toBe("from stdin");
    const extra = await cli(["cas", "--absent", "cas/x", "a", "b"]);
    expect(extra.exitCode).toBe(ExitCode.usage);
    expect(extra.stderrText).toContain("cas: too many arguments; expected KEY NEW");
  });
});

describe("batch", () => {
  test("applies puts, deletes and cas from JSON lines at once and prints the version", async () => {
    await cli(["put", "batch/gone", "x"]);
    await cli(["put", "batch/balance", "100"]);
    const lines = [
      '{"op":"put","key":"batch/text","value":"héllo"}',
      "",
      '{"op":"put","key":"batch/bytes","valueBase64":"/wAB"}',
      '{"op":"delete","key":"batch/gone"}',
      '{"op":"cas","key":"batch/balance","expected":"100","value":"95"}',
      '{"op":"cas","key":"batch/fresh","expected":null,"value":"1"}',
    ];
    const result = await cli(["batch"], `${lines.join("\n")}\n`);
    expect(result).toMatchObject({ exitCode: ExitCode.ok, stderrText: "" });
    expect(result.stdoutText).toMatch(/^\d+\n$/);
    expect(await valueOf("batch/text")).toBe("héllo");
    expect((await cli(["get", "batch/bytes"])).stdout).toEqual(new Uint8Array([0xff, 0x00, 0x01]));
    expect((await cli(["get", "batch/gone"])).exitCode).toBe(ExitCode.notFound);
    expect(await valueOf("batch/balance")).toBe("95");
    expect(await valueOf("batch/fresh")).toBe("1");
  });

  test("a cas that does not hold: exit 1 and nothing of the batch is applied", async () => {
    await cli(["put", "batch/guard", "v1"]);
    const lines = [
      '{"op":"put","key":"batch/never","value":"x"}',
      '{"op":"cas","key":"batch/guard","expected":"v0","value":"v2"}',
    ];
    expect(await cli(["batch"], lines.join("\n"))).toMatchObject({
      exitCode: ExitCode.conditionNotMet,
      stdoutText: "",
      stderrText: "filestore: batch: a cas in it did not hold; nothing was applied\n",
    });
    expect((await cli(["get", "batch/never"])).exitCode).toBe(ExitCode.notFound);
    expect(await valueOf("batch/guard")).toBe("v1");
  });

  test("a bad line is a usage error naming the line, and nothing is sent", async () => {
    const cases: Array<[string, string]> = [
      [
        '{"op":"put","key":"batch/bad1","value":"1"}\n{"op":"puts","key":"k"}',
        'line 2: "op" must be one of put, delete, cas, got "puts"',
      ],
      ['{"op":"put","key":"batch/bad2","vaule":"1"}', 'line 1: unknown field "vaule" for op put'],
      ['{"op":"put","key":"batch/bad3","valueBase64":"not base64!"}', 'line 1: "valueBase64" is not valid base64'],
      ['{"op":"cas","key":"batch/bad4","value":"1"}', 'line 1: missing "expected" (null: the key must be absent)'],
      ["put batch/bad5 1", "line 1: not a JSON object"],
      ["\n\n", "stdin holds no operations"],
    ];
    for (const [input, message] of cases) {
      const result = await cli(["batch"], input);
      expect(result.exitCode).toBe(ExitCode.usage);
      expect(result.stderrText).toStartWith("filestore: batch: ");
      expect(result.stderrText).toContain(message);
    }
    for (const key of ["batch/bad1", "batch/bad2", "batch/bad3", "batch/bad4"]) {
      expect((await cli(["get", key])).exitCode).toBe(ExitCode.notFound);
    }
  });
});

describe("reads: --json and --consistency", () => {
  test("get --json: UTF-8 as a string, other bytes as base64 (a byte order mark is kept)", async () => {
    await cli(["put", "json/text", "héllo\n\"quoted\""]);
    const jsonOf = async (key: string) => (await cli(["get", key, "--json"])).stdoutText;
    expect(await jsonOf("json/text")).toBe('{"key":"json/text","value":"héllo\\n\\"quoted\\""}\n');
    await cli(["put", "json/binary", "-"], new Uint8Array([0xff, 0xfe, 0x00]));
    expect(await jsonOf("json/binary")).toBe('{"key":"json/binary","valueBase64":"//4A"}\n');
    await cli(["put", "json/bom", "-"], new Uint8Array([0xef, 0xbb, 0xbf, 0x61]));
    expect(JSON.parse(await jsonOf("json/bom"))).toEqual({ key: "json/bom", value: "\ufeffa" });
    expect(await cli(["get", "json/absent", "--json"])).toMatchObject({ exitCode: ExitCode.notFound, stdoutText: "" });
  });

  test("scan --json: one object per line with the version; a key that is not UTF-8 as keyBase64", async () => {
    await cli(["put", "jscan/a", "1"]);
    const binaryKey = await cli(["batch"], '{"op":"put","keyBase64":"anNjYW4vgA==","value":"2"}');
    expect(binaryKey.exitCode).toBe(ExitCode.ok);
    const scan = await cli(["scan", "--prefix", "jscan/", "--json"]);
    expect(scan.exitCode).toBe(ExitCode.ok);
    const objects = scan.stdoutText.trimEnd().split("\n").map((line) => JSON.parse(line));
    expect(objects).toEqual([
      { key: "jscan/a", value: "1", version: expect.any(Number) },
      { keyBase64: "anNjYW4vgA==", value: "2", version: Number(binaryKey.stdoutText) },
    ]);
    const keysOnly = await cli(["scan", "--prefix", "jscan/", "--json", "--keys-only", "--limit", "1"]);
    expect(keysOnly.stdoutText).toBe('{"key":"jscan/a"}\n');
  });

  test("each consistency level reads on a single node; bounded takes a staleness", async () => {
    await cli(["put", "level/k", "v"]);
    for (const level of [["strong"], ["eventual"], ["bounded", "--max-staleness-ms", "500"]]) {
      const get = await cli(["get", "level/k", "--consistency", ...level]);
      expect(get).toMatchObject({ exitCode: ExitCode.ok, stdoutText: "v" });
      const scan = await cli(["scan", "--prefix", "level/", "--consistency", ...level]);
      expect(scan).toMatchObject({ exitCode: ExitCode.ok, stdoutText: "level/k\tv\n" });
    }
  });

  test("bounded without a staleness, a staleness without bounded, an unknown level: usage errors", async () => {
    const cases: Array<[string[], string]> = [
      [["get", "k", "--consistency", "bounded"], "get: --consistency bounded needs --max-staleness-ms MS"],
      [["scan", "--consistency", "bounded"], "scan: --consistency bounded needs --max-staleness-ms MS"],
      [["get", "k", "--max-staleness-ms", "10"], "get: --max-staleness-ms goes with --consistency bounded only"],
      [["get", "k", "--consistency", "bounded", "--max-staleness-ms", "0"], "--max-staleness-ms must be a whole"],
      [["get", "k", "--consistency", "fresh"], 'get: --consistency must be one of strong, bounded, eventual, got "fre'],
    ];
    for (const [args, message] of cases) {
      const result = await cli(args);
      expect(result.exitCode).toBe(ExitCode.usage);
      expect(result.stderrText).toContain(message);
    }
  });
});
