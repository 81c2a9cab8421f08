/**
 * Configuration: documented defaults, file-then-flags precedence, the example TOML, and
 * validation errors that name the field and where its value came from.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatHostPort, parseHostPort } from "../../src/config/address.ts";
import { ConfigError } from "../../src/config/config_error.ts";
import { defaultConfig, loadConfig, resolveConfig } from "../../src/config/load.ts";
import { settings } from "../../src/config/settings.ts";
import { ExitCode } from "../../src/cli/exit_codes.ts";
import { runCommand, sourceProgram } from "./process_harness.ts";

const tempDir = mkdtempSync(join(tmpdir(), "filestore-config-"));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

function writeToml(name: string, text: string): string {
  const path = join(tempDir, name);
  writeFileSync(path, text);
  return path;
}

function configErrorOf(action: () => unknown): ConfigError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("defaults", () => {
  test("the documented defaults", () => {
    expect(defaultConfig()).toEqual({
      listen: { host: "127.0.0.1", port: 7400 },
      admin: { host: "127.0.0.1", port: 7401 },
      data: "./data",
      fsync: "always",
      batchDelayMs: 2,
      frameSizeBytesMax: 16 * 1024 * 1024,
      connectionsMax: 1024,
      inflightPerConnectionMax: 8192,
      idleTimeoutMs: 300_000,
      nodeId: "",
      peers: [],
      snapshotEveryEntries: 100_000,
      shards: 0,
      join: false,
      logFormat: "logfmt",
      logLevel: "info",
      slowFsyncMs: 100,
    });
  });

  test("every setting has a unique name, a doc and a default inside its own bounds", () => {
    const names = settings.map((setting) => setting.name);
    expect(new Set(names).size).toBe(names.length);
    for (const setting of settings) {
      expect(setting.doc.length).toBeGreaterThan(10);
      if (setting.type.kind === "integer") {
        expect(setting.type.min).toBeLessThanOrEqual(setting.type.max);
        expect(setting.default as number).toBeGreaterThanOrEqual(setting.type.min);
        expect(setting.default as number).toBeLessThanOrEqual(setting.type.max);
      }
    }
  });
});

describe("precedence", () => {
  test("file overrides defaults, flags override the file", async () => {
    const path = writeToml(
      "precedence.toml",
      'listen = "127.0.0.1:9000"\nadmin = "127.0.0.1:9001"\ndata = "/var/lib/filestore"\nfsync = "batch"\nconnections-max = 50\n',
    );
    const config = await loadConfig({ configPath: path, flags: { listen: "0.0.0.0:9100", fsync: "unsafe-no-fsync" } });
    expect(config.listen).toEqual({ host: "0.0.0.0", port: 9100 }); // flag
    expect(config.fsync).toBe("unsafe-no-fsync"); // flag
    expect(config.admin).toEqual({ host: "127.0.0.1", port: 9001 }); // file
    expect(config.data).toBe("/var/lib/filestore"); // file
    expect(config.connectionsMax).toBe(50); // file
    expect(config.batchDelayMs).toBe(2); // default
  });

  test("an undefined flag does not hide the file's value", async () => {
    const path = writeToml("undefined-flag.toml", 'data = "from-file"\n');
    const config = await loadConfig({ configPath: path, flags: { data: undefined } });
    expect(config.data).toBe("from-file");
  });

  test("peers from a TOML array and from a comma-separated flag", async () => {
    const path = writeToml("peers.toml", 'node-id = "n1"\npeers = ["10.0.0.2:7400", "[::1]:7402"]\n');
    const fromFile = await loadConfig({ configPath: path });
    expect(fromFile.nodeId).toBe("n1");
    expect(fromFile.peers).toEqual([
      { host: "10.0.0.2", port: 7400 },
      { host: "::1", port: 7402 },
    ]);
    const fromFlag = await loadConfig({ configPath: path, flags: { peers: "a:1, b:2" } });
    expect(fromFlag.peers).toEqual([
      { host: "a", port: 1 },
      { host: "b", port: 2 },
    ]);
  });

  test("the example configuration file is valid and matches the defaults", async () => {
    const config = await loadConfig({ configPath: join(import.meta.dir, "../../filestore.example.toml") });
    expect(config).toEqual(defaultConfig());
  });
});

describe("validation errors name the field and the source", () => {
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ["listen", { listen: "localhost" }, "listen", /expected HOST:PORT/],
    ["listen port too high", { listen: "127.0.0.1:70000" }, "listen", /port must be between 0 and 65535/],
    ["admin not a string", { admin: 7401 }, "admin", /must be a string/],
    ["data empty", { data: "" }, "data", /must not be empty/],
    ["fsync unknown", { fsync: "sometimes" }, "fsync", /must be one of always, batch, unsafe-no-fsync/],
    ["batch delay too long", { "batch-delay-ms": 5000 }, "batch-delay-ms", /at most 1000/],
    ["batch delay fractional", { "batch-delay-ms": 1.5 }, "batch-delay-ms", /whole number/],
    ["frame too small", { "frame-size-bytes-max": 1024 }, "frame-size-bytes-max", /at least 65536/],
    ["frame too large", { "frame-size-bytes-max": 2 ** 30 }, "frame-size-bytes-max", /at most 268435456/],
    ["connections zero", { "connections-max": 0 }, "connections-max", /at least 1/],
    ["connections text", { "connections-max": "many" }, "connections-max", /whole number, got "many"/],
    ["inflight too many", { "inflight-per-connection-max": 100_000 }, "inflight-per-connection-max", /at most 65536/],
    ["idle negative", { "idle-timeout-ms": -1 }, "idle-timeout-ms", /at least 1000, got -1/],
    ["idle too short", { "idle-timeout-ms": 5 }, "idle-timeout-ms", /at least 1000/],
    ["node id not a string", { "node-id": 3 }, "node-id", /must be a string/],
    ["peers bad entry", { peers: ["a:1", "b"] }, "peers", /expected HOST:PORT/],
    ["peers not a list", { peers: 5 }, "peers", /list of "HOST:PORT"/],
    ["log format unknown", { "log-format": "text" }, "log-format", /must be one of logfmt, json; got "text"/],
    ["log level unknown", { "log-level": "trace" }, "log-level", /one of error, warn, info, debug; got "trace"/],
    ["slow fsync negative", { "slow-fsync-ms": -5 }, "slow-fsync-ms", /at least 0, got -5/],
    ["slow fsync too long", { "slow-fsync-ms": 60_001 }, "slow-fsync-ms", /at most 60000/],
    ["join neither a boolean nor an address", { join: "yes" }, "join", /must be true, false or HOST:PORT.*got "yes"/],
    ["join to port 0", { join: "127.0.0.1:0" }, "join", /must be true, false or HOST:PORT/],
    ["unknown key", { lisen: "127.0.0.1:1" }, "lisen", /unknown setting/],
  ];
  for (const [label, file, field, reason] of cases) {
    test(label, () => {
      const error = configErrorOf(() => resolveConfig(file, "test.toml", {}));
      expect(error.field).toBe(field);
      expect(error.source).toBe("test.toml");
      expect(error.message).toMatch(reason);
      expect(error.message).toContain(field);
    });
  }

  test("a bad flag names the flag", () => {
    const error = configErrorOf(() => resolveConfig({}, "test.toml", { "connections-max": "-5" }));
    expect(error.field).toBe("connections-max");
    expect(error.source).toBe("--connections-max");
    expect(error.message).toMatch(/whole number/);
  });

  test("a bad flag value is reported even when the file's value is good", () => {
    const error = configErrorOf(() => resolveConfig({ fsync: "always" }, "test.toml", { fsync: "never" }));
    expect(error.source).toBe("--fsync");
  });

});

describe("configuration files that cannot be read", () => {
  test("a missing file and invalid TOML are ConfigErrors naming the file", async () => {
    const missing = join(tempDir, "absent.toml");
    await expect(loadConfig({ configPath: missing })).rejects.toThrow(`config: config (from ${missing}): file not found`);
    const broken = writeToml("broken.toml", 'listen = "127.0.0.1:1\n');
    await expect(loadConfig({ configPath: broken })).rejects.toBeInstanceOf(ConfigError);
    await expect(loadConfig({ configPath: broken })).rejects.toThrow(/not valid TOML/);
  });

  test("invalid TOML is reported with its line and column", async () => {
    const cases: Array<[string, string]> = [
      ['listen = "127.0.0.1:7400"\nfsync = \n', "at line 2, column 9: Missing value after '='"],
      ['data = "./d"\n\n[peers\nx = 1\n', "at line 3, column 7: Expected ']' to close a table header"],
      ["fsync = \"always\"\nfsync = \"batch\"\n", "at line 2, column 1: Cannot redefine key 'fsync'"],
    ];
    for (const [text, position] of cases) {
      const path = writeToml("positioned.toml", text);
      const expected = `config: config (from ${path}): not valid TOML ${position}`;
      await expect(loadConfig({ configPath: path })).rejects.toThrow(expected);
    }
    const bad = writeToml("bad.toml", 'listen = "127.0.0.1:0"\nfsync = \n');
    const serve = await runCommand(sourceProgram, ["serve", "--config", bad]);
    expect(serve.exitCode).toBe(ExitCode.serveFailed);
    const reason = "Missing value after '='; values must be on the same line";
    const line = `filestore: config: config (from ${bad}): not valid TOML at line 2, column 9: ${reason}\n`;
    expect(serve.stderrText).toBe(line);
  });
});

describe("addresses", () => {
  test("parse and format round trip, IPv6 in brackets", () => {
    for (const text of ["127.0.0.1:7400", "[::1]:0", "db.internal:65535"]) {
      const parsed = parseHostPort(text);
      expect(typeof parsed).toBe("object");
      expect(formatHostPort(parsed as { host: string; port: number })).toBe(text);
    }
    expect(parseHostPort(":7400")).toBeTypeOf("string");
    expect(parseHostPort("host:")).toBeTypeOf("string");
    expect(parseHostPort("::1:7400")).toBeTypeOf("string");
  });
});
