/**
 * The command line: each command's arguments and options, help and version, and usage errors
 * that are one line naming the command.
 */
import { describe, expect, test } from "bun:test";
import { commands } from "../../src/cli/commands.ts";
import { parseCommandLine, positiveIntegerOption } from "../../src/cli/parse.ts";
import { UsageError } from "../../src/cli/usage_error.ts";
import { settings } from "../../src/config/settings.ts";
import { usageErrorOf } from "./usage_error_of.ts";


describe("commands", () => {
  test("put, get, del, scan with --server", () => {
    expect(parseCommandLine(["put", "k", "v", "--server", "127.0.0.1:9"])).toEqual({
      kind: "run",
      command: "put",
      positionals: ["k", "v"],
      options: { server: "127.0.0.1:9" },
    });
    expect(parseCommandLine(["get", "-s", "h:1", "k"])).toEqual({
      kind: "run",
      command: "get",
      positionals: ["k"],
      options: { server: "h:1" },
    });
    expect(parseCommandLine(["del", "k"])).toEqual({ kind: "run", command: "del", positionals: ["k"], options: {} });
    expect(parseCommandLine(["scan", "--prefix", "a/", "--limit", "10", "-k"])).toEqual({
      kind: "run",
      command: "scan",
      positionals: [],
      options: { prefix: "a/", limit: "10", "keys-only": true },
    });
  });

  test("put with VALUE - (stdin) and values that look like options after --", () => {
    expect(parseCommandLine(["put", "k", "-"]).kind).toBe("run");
    expect(parseCommandLine(["put", "k", "--", "-5"])).toMatchObject({ positionals: ["k", "-5"] });
  });

  test("serve --join alone (a group's join) or with a member's peer address (a sharded cluster's)", () => {
    const optionsOf = (args: string[]) => (parseCommandLine(["serve", ...args]) as { options: object }).options;
    expect(optionsOf(["--join"])).toEqual({ join: "true" });
    expect(optionsOf(["--join", "--peers", "n1=h:1"])).toEqual({ join: "true", peers: "n1=h:1" });
    const sharded = { join: "127.0.0.1:7500", "node-id": "n4" };
    expect(optionsOf(["--join", "127.0.0.1:7500", "--node-id", "n4"])).toEqual(sharded);
    expect(optionsOf(["--join=h:1"])).toEqual({ join: "h:1" });
  });

  test("serve takes --config and one flag per setting", () => {
    const parsed = parseCommandLine([
      "serve",
      "--config",
      "f.toml",
      "--data",
      "/d",
      "--listen",
      "127.0.0.1:0",
      "--admin",
      "127.0.0.1:0",
      "--fsync",
      "batch",
      "--frame-size-bytes-max",
      "65536",
    ]);
    expect(parsed).toEqual({
      kind: "run",
      command: "serve",
      positionals: [],
      options: {
        config: "f.toml",
        data: "/d",
        listen: "127.0.0.1:0",
        admin: "127.0.0.1:0",
        fsync: "batch",
        "frame-size-bytes-max": "65536",
      },
    });
    const serve = commands.find((command) => command.name === "serve")!;
    for (const setting of settings) expect(serve.options[setting.name]).toBeDefined();
  });
});

describe("help and version", () => {
  test("general help lists every command and the exit codes", () => {
    for (const argv of [["--help"], ["-h"], ["help"]]) {
      const parsed = parseCommandLine(argv);
      expect(parsed.kind).toBe("help");
      const text = (parsed as { text: string }).text;
      for (const command of commands) expect(text).toContain(`  ${command.name} `);
      expect(text).toContain("Exit codes:");
    }
  });

  test("per-command help, both spellings, shows the options", () => {
    const viaHelp = parseCommandLine(["help", "put"]);
    const viaFlag = parseCommandLine(["put", "--help"]);
    expect(viaHelp).toEqual(viaFlag);
    const text = (viaHelp as { text: string }).text;
    expect(text).toContain("Usage: filestore put [OPTIONS] KEY VALUE");
    expect(text).toContain("--server HOST:PORT");
    const serveHelp = (parseCommandLine(["serve", "-h"]) as { text: string }).text;
    expect(serveHelp).toContain("--fsync always|batch|unsafe-no-fsync");
    expect(serveHelp).toContain("--config FILE");
    expect(parseCommandLine(["get", "--help", "extra", "args"]).kind).toBe("help");
  });

  test("--version", () => {
    expect(parseCommandLine(["--version"])).toEqual({ kind: "version" });
  });
});

describe("usage errors are one line and name the command", () => {
  test("no command, unknown command", () => {
    expect(usageErrorOf([]).message).toContain("missing command");
    expect(usageErrorOf(["frobnicate"]).message).toContain('unknown command "frobnicate"');
    expect(usageErrorOf(["help", "frobnicate"]).message).toContain('no command "frobnicate"');
  });

  test("unknown option, missing value, wrong argument count", () => {
    const unknown = usageErrorOf(["get", "k", "--bogus"]);
    expect(unknown.command).toBe("get");
    expect(unknown.message).toContain("--bogus");
    expect(usageErrorOf(["get", "k", "--server"]).message).toContain("get:");
    expect(usageErrorOf(["get"]).message).toContain("get: missing argument; expected KEY");
    expect(usageErrorOf(["put", "k"]).message).toContain("put: missing argument; expected KEY VALUE");
    expect(usageErrorOf(["del", "a", "b"]).message).toContain("del: too many arguments");
    expect(usageErrorOf(["scan", "x"]).message).toContain("scan: too many arguments; expected no arguments");
    expect(usageErrorOf(["serve", "--fsync"]).message).toContain("serve:");
  });

  test("positive integer options", () => {
    expect(positiveIntegerOption("scan", "limit", undefined, 100)).toBeUndefined();
    expect(positiveIntegerOption("scan", "limit", "7", 100)).toBe(7);
    for (const bad of ["0", "-1", "1.5", "abc", "101", ""]) {
      expect(() => positiveIntegerOption("scan", "limit", bad, 100)).toThrow(UsageError);
    }
  });
});
