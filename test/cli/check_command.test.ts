/**
 * `filestore check` run as the real program on single-node folders written by the engine: a
 * clean folder exits 0; a flipped byte in the middle of a segment, a damaged length field that
 * start-up would take for a torn tail, and a corrupt checkpoint each exit 7 naming file, offset
 * and record; a torn tail alone is a note (exit 0); the check changes no byte; a missing folder
 * or one without data exits 5. Replicated folders: check_replicated.test.ts.
 */
import { afterAll, expect, test } from "bun:test";
import fs from "node:fs";
import { join } from "node:path";
import { ExitCode } from "../../src/cli/exit_codes.ts";
import { Engine } from "../../src/engine/engine.ts";
import { recordHeaderBytes } from "../../src/log/record_format.ts";
import { damageMiddleRecord, flipByte, recordsOf, segmentPaths } from "./damage.ts";
import { errorLines, freshNodeArgs, makeTempDir, runCommand, sourceProgram } from "./process_harness.ts";

const workDir = makeTempDir("check");
afterAll(() => workDir.remove());

/** Small segments, so the folder has several and a sealed one sits in the middle. */
const segmentSizeBytes = 2048;
const keyCount = 60;

/** A single node's folder with `keyCount` keys over several segments, and a checkpoint when asked. */
async function writeFolder(label: string, withCheckpoint: boolean): Promise<string> {
  const dir = join(workDir.path, label);
  const options = {
    dir,
    fsync: "unsafe-no-fsync" as const,
    segmentSizeBytes,
    autoCompaction: false as const,
    autoCheckpoint: false as const,
  };
  const engine = await Engine.open(options);
  const encoder = new TextEncoder();
  for (let key = 0; key < keyCount; key++) {
    await engine.apply({
      op: "put",
      key: encoder.encode(`key/${key}`),
      value: encoder.encode(`value ${key} `.repeat(4)),
    });
  }
  if (withCheckpoint) await engine.checkpoint();
  await engine.close();
  return dir;
}

const check = (dir: string, ...extra: string[]) => runCommand(sourceProgram, ["check", "--data", dir, ...extra]);

function snapshotOf(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const file = join(dir, name);
    if (fs.statSync(file).isFile() && !name.endsWith("filestore.lock"))
      files.set(name, fs.readFileSync(file).toString("hex"));
  }
  return files;
}

test("a clean folder: one line per file, a clean result, exit 0", async () => {
  const dir = await writeFolder("clean", true);
  const segments = segmentPaths(join(dir, "log"));
  expect(segments.length).toBeGreaterThan(2);
  const result = await check(dir);
  expect(result).toMatchObject({ exitCode: ExitCode.ok, stderrText: "" });
  const lines = result.stdoutText.trimEnd().split("\n");
  expect(lines.slice(0, segments.length).map((line) => line.split(":")[0])).toEqual(
    segments.map((file) => `checked  ${file}`),
  );
  expect(lines[0]).toMatch(/: log segment, records 1\.\.\d+, \d+ bytes$/);
  expect(lines[segments.length]).toBe(
    `checked  ${join(dir, "checkpoint.bin")}: checkpoint, ${keyCount} keys, covers log records up to ${keyCount}, ` +
      `${fs.statSync(join(dir, "checkpoint.bin")).size} bytes`,
  );
  expect(lines.at(-1)).toBe(`clean: ${dir} (single node): ${segments.length + 1} files checked, 0 problems, 0 notes`);
});

test("a flipped byte in the middle of a segment: file, offset, record index; exit 7; nothing changed", async () => {
  const dir = await writeFolder("flipped", false);
  const segment = segmentPaths(join(dir, "log"))[1];
  const record = damageMiddleRecord(segment);
  const before = snapshotOf(dir);
  const result = await check(dir);
  expect(result.exitCode).toBe(ExitCode.damaged);
  expect(result.stdoutText).toContain(
    `\nDAMAGED  ${segment} offset ${record.offset} record ${record.index}: record checksum mismatch\n`,
  );
  expect(result.stdoutText).toEndWith(
    `damaged: ${dir} (single node): ${segmentPaths(join(dir, "log")).length} files checked, 1 problem, 0 notes\n`,
  );
  expect(result.stderrText).toBe(`filestore: data folder ${dir} is damaged: 1 problem (listed on stdout)\n`);
  expect(snapshotOf(dir)).toEqual(before);
});

test("--json: the same report as one object", async () => {
  const dir = await writeFolder("json", false);
  const segment = segmentPaths(join(dir, "log"))[0];
  const record = recordsOf(segment)[2];
  flipByte(segment, record.offset + recordHeaderBytes);
  const result = await check(dir, "--json");
  expect(result.exitCode).toBe(ExitCode.damaged);
  const report = JSON.parse(result.stdoutText);
  expect(report).toMatchObject({ folder: dir, layout: "single node", result: "damaged" });
  expect(report.findings).toEqual([
    { severity: "damage", file: segment, offset: record.offset, index: record.index, what: "record checksum mismatch" },
  ]);
  expect(report.files.length).toBe(segmentPaths(join(dir, "log")).length);
});

test("a torn tail alone is a note, exit 0, and the check does not cut it", async () => {
  const dir = await writeFolder("torn", false);
  const last = segmentPaths(join(dir, "log")).at(-1)!;
  const size = fs.statSync(last).size;
  const nextIndex = recordsOf(last).at(-1)!.index + 1;
  fs.appendFileSync(last, new Uint8Array(recordHeaderBytes - 5).fill(0x7f));
  const result = await check(dir);
  expect(result).toMatchObject({ exitCode: ExitCode.ok, stderrText: "" });
  expect(result.stdoutText).toContain(
    `\nnote     ${last} offset ${size} record ${nextIndex}: torn tail of ${recordHeaderBytes - 5} bytes ` +
      "(record header cut short): a write cut by a crash, never acknowledged; start-up cuts it\n",
  );
  expect(result.stdoutText).toEndWith(" 0 problems, 1 note\n");
  expect(fs.statSync(last).size).toBe(size + recordHeaderBytes - 5);
});

test("a damaged length field in the newest segment, with valid records after it, is damage", async () => {
  const dir = await writeFolder("length", false);
  const last = segmentPaths(join(dir, "log")).at(-1)!;
  const records = recordsOf(last);
  expect(records.length).toBeGreaterThan(2);
  const damaged = records[0];
  flipByte(last, damaged.offset + 14); // the high bytes of the payload length
  const result = await check(dir);
  expect(result.exitCode).toBe(ExitCode.damaged);
  const cutBytes = fs.statSync(last).size - damaged.offset;
  expect(result.stdoutText).toContain(
    `\nDAMAGED  ${last} offset ${damaged.offset} record ${damaged.index}: ` +
      "record payload cut short, and the framing is lost; " +
      `yet a valid record (${records[1].index}) follows at offset ${records[1].offset}: ` +
      `not a torn write (cutting ${cutBytes} bytes here would lose that record), so start-up refuses\n`,
  );
  // Start-up agrees: it refuses (exit 5) instead of cutting the valid records as a torn tail.
  const serve = await runCommand(sourceProgram, ["serve", ...freshNodeArgs(dir)]);
  expect(serve.exitCode).toBe(ExitCode.serveFailed);
  expect(errorLines(serve.stderrText)).toEqual([
    `filestore: data folder ${dir}: corrupt record in ${last} at offset ${damaged.offset} (index ${damaged.index}): ` +
      `record payload cut short; a valid record follows at offset ${records[1].offset} (index ${records[1].index}), ` +
      "so this is damage, not a torn write, and cutting the log here would lose it; " +
      `run \`filestore check --data ${dir}\` to list all damage`,
  ]);
  expect(fs.statSync(last).size).toBe(cutBytes + damaged.offset);
});

test("a corrupt checkpoint is damage: start-up would ignore it and replay the log", async () => {
  const dir = await writeFolder("checkpoint", true);
  const checkpoint = join(dir, "checkpoint.bin");
  flipByte(checkpoint, 60);
  const result = await check(dir);
  expect(result.exitCode).toBe(ExitCode.damaged);
  expect(result.stdoutText).toContain(
    `\nDAMAGED  ${checkpoint}: checksum mismatch; start-up ignores the checkpoint and replays the whole log\n`,
  );
});

test("a missing folder, or one holding no data, exits 5 with one line", async () => {
  const missing = join(workDir.path, "missing");
  expect(await check(missing)).toMatchObject({
    exitCode: ExitCode.serveFailed,
    stdoutText: "",
    stderrText: `filestore: data folder ${missing}: no such folder\n`,
  });
  const empty = join(workDir.path, "empty");
  fs.mkdirSync(empty);
  expect(await check(empty)).toMatchObject({
    exitCode: ExitCode.serveFailed,
    stderrText: `filestore: data folder ${empty}: holds no FileStore data (no log, raft or engine folder inside)\n`,
  });
  expect(fs.readdirSync(empty)).toEqual([]);
});

test("help lists check and exit code 7, and serve's help tells of the data-folder lock", async () => {
  const general = await runCommand(sourceProgram, ["--help"]);
  expect(general.stdoutText).toMatch(/\n {2}check +verify every checksum in a data folder/);
  expect(general.stdoutText).toContain(
    "\n  7   check: the data folder is damaged (a checksum failure or other damage)\n",
  );
  const checkHelp = await runCommand(sourceProgram, ["help", "check"]);
  expect(checkHelp.stdoutText).toContain("-d, --data DIR");
  expect(checkHelp.stdoutText).toContain("is reported as a note and is not damage");
  const serveHelp = await runCommand(sourceProgram, ["help", "serve"]);
  expect(serveHelp.stdoutText).toContain(
    "a second process on the\nsame folder exits 5 naming the folder and the holder's PID",
  );
});
