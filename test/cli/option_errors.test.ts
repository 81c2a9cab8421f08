/**
 * Command-line mistakes get one clear line and exit code 2: an unknown option with the closest
 * known one suggested, a negative number as an option's value checked like any value, an
 * address without a port refused before connecting, cas's two argument forms, and the help
 * that shows both.
 */
import { describe, expect, test } from "bun:test";
import { ExitCode } from "../../src/cli/exit_codes.ts";
import { parseCommandLine } from "../../src/cli/parse.ts";
import { runCommand, sourceProgram } from "./process_harness.ts";
import { usageErrorOf } from "./usage_error_of.ts";

const usageMessage = (argv: string[]) => usageErrorOf(argv).message;

describe("unknown options", () => {
  test("a typo is named with the closest option", () => {
    expect(usageMessage(["get", "k", "--srever", "x"])).toBe(
      "get: unknown option --srever (did you mean --server?) (see `filestore help get`)",
    );
    expect(usageMessage(["scan", "--prefx", "a"])).toContain("unknown option --prefx (did you mean --prefix?)");
    expect(usageMessage(["scan", "--limt=3"])).toContain("unknown option --limt (did you mean --limit?)");
    expect(usageMessage(["serve", "--fsycn", "batch"])).toContain("unknown option --fsycn (did you mean --fsync?)");
  });

  test("nothing close: no suggestion; a short option is named as typed", () => {
    const far = usageMessage(["get", "k", "--bogus"]);
    expect(far).toBe("get: unknown option --bogus (see `filestore help get`)");
    expect(usageMessage(["get", "k", "-x"])).toBe("get: unknown option -x (see `filestore help get`)");
  });

  test("a value that looks like a negative number is pointed to --", () => {
    expect(usageMessage(["put", "k", "-5"])).toContain('unknown option -5 (a value starting with "-" goes after "--"');
    expect(parseCommandLine(["put", "k", "--", "-5"])).toMatchObject({ positionals: ["k", "-5"] });
  });
});

describe("option values", () => {
  test("--limit -1 is checked as a number, not called ambiguous (exit 2 before connecting)", async () => {
    expect(parseCommandLine(["scan", "--limit", "-1"])).toMatchObject({ options: { limit: "-1" } });
    expect(parseCommandLine(["scan", "--prefix", "-a"])).toMatchObject({ options: { prefix: "-a" } });
    for (const limit of [["--limit", "-1"], ["-n", "-1"]]) {
      const result = await runCommand(sourceProgram, ["scan", ...limit, "--server", "127.0.0.1:1"]);
      expect(result).toMatchObject({
        exitCode: ExitCode.usage,
        stderrText: 'filestore: scan: --limit must be a whole number from 1 to 9007199254740991, got "-1"\n',
      });
    }
  });

  test("a missing value names the option", () => {
    expect(usageMessage(["get", "k", "--server"])).toContain("get: --server needs a value");
    expect(usageMessage(["scan", "--limit", "--keys-only"])).toContain("scan: --limit needs a value");
    expect(usageMessage(["scan", "--keys-only=yes"])).toContain("scan: --keys-only takes no value");
  });

  test("--server and --admin must be HOST:PORT", () => {
    expect(usageMessage(["get", "k", "--server", "127.0.0.1"])).toBe(
      'get: --server must be HOST:PORT, got "127.0.0.1"',
    );
    expect(usageMessage(["put", "k", "v", "-s", "host:0"])).toBe('put: --server must be HOST:PORT, got "host:0"');
    expect(usageMessage(["status", "--admin", "localhost"])).toBe('status: --admin must be HOST:PORT, got "localhost"');
    expect(parseCommandLine(["get", "k", "--server", "[::1]:7400"]).kind).toBe("run");
  });

  test("the real program exits 2 for an address without a port, before connecting", async () => {
    const result = await runCommand(sourceProgram, ["get", "k", "--server", "127.0.0.1"]);
    expect(result).toMatchObject({
      exitCode: ExitCode.usage,
      stdoutText: "",
      stderrText: 'filestore: get: --server must be HOST:PORT, got "127.0.0.1"\n',
    });
  });
});

describe("cas arguments", () => {
  test("KEY EXPECTED NEW, or --absent KEY NEW", () => {
    expect(parseCommandLine(["cas", "k", "a", "b"])).toMatchObject({ positionals: ["k", "a", "b"] });
    expect(parseCommandLine(["cas", "--absent", "k", "b"])).toMatchObject({
      positionals: ["k", "b"],
      options: { absent: true },
    });
    expect(usageMessage(["cas", "k", "b"])).toContain("cas: missing argument; expected KEY EXPECTED NEW");
    expect(usageMessage(["cas", "--absent", "k", "a", "b"])).toContain("cas: too many arguments; expected KEY NEW");
  });

  test("help shows both forms", () => {
    const help = parseCommandLine(["help", "cas"]);
    expect(help.kind).toBe("help");
    const text = (help as { text: string }).text;
    const usage = "Usage: filestore cas [OPTIONS] KEY EXPECTED NEW\n       filestore cas [OPTIONS] --absent KEY NEW\n";
    expect(text).toContain(usage);
    expect(text).toContain("condition not met (cas, batch");
  });
});
