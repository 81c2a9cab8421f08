/**
 * The data-folder lock in process: one holder at a time (a second open file is refused even in
 * the same process), the refusal names the folder and the holder's PID, release lets the next
 * one in, and folders that cannot be used are named in words. Cross-process behaviour (kill -9)
 * is in test/cli/data_folder_lock.test.ts.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DataFolderError, dataFolderLockFileName, lockDataFolder } from "../../src/util/data_folder_lock.ts";
import { makeTempDir } from "../cli/process_harness.ts";

const workDir = makeTempDir("lock-unit");
afterAll(() => workDir.remove());

describe("lockDataFolder", () => {
  test("creates the folder, writes the holder's PID, and refuses a second holder until released", () => {
    const folder = join(workDir.path, "data");
    const first = lockDataFolder(folder, { create: true });
    expect(readFileSync(join(folder, dataFolderLockFileName), "utf8")).toBe(`${process.pid}\n`);
    expect(() => lockDataFolder(folder, { create: true })).toThrow(
      new DataFolderError(
        `data folder ${folder} is in use by another filestore process (pid ${process.pid}); ` +
          "stop it or use another --data",
      ),
    );
    first.release();
    first.release(); // a second release is harmless
    const second = lockDataFolder(folder, { create: false });
    second.release();
  });

  test("a refusal without a readable PID still names the folder", () => {
    const folder = join(workDir.path, "no-pid");
    const holder = lockDataFolder(folder, { create: true });
    writeFileSync(join(folder, dataFolderLockFileName), "");
    expect(() => lockDataFolder(folder, { create: true })).toThrow(
      new DataFolderError(
        `data folder ${folder} is in use by another filestore process; stop it or use another --data`,
      ),
    );
    holder.release();
  });

  test("a path that is a file, or a missing folder that must not be created, is named in words", () => {
    const file = join(workDir.path, "a-file");
    writeFileSync(file, "not a folder");
    expect(() => lockDataFolder(file, { create: true })).toThrow(
      new DataFolderError(`data folder ${file}: exists and is not a folder`),
    );
    expect(() => lockDataFolder(file, { create: false })).toThrow(
      new DataFolderError(`data folder ${file}: exists and is not a folder`),
    );
    const under = join(file, "data");
    expect(() => lockDataFolder(under, { create: true })).toThrow(
      new DataFolderError(`data folder ${under}: a part of the path is not a folder`),
    );
    const missing = join(workDir.path, "missing");
    expect(() => lockDataFolder(missing, { create: false })).toThrow(
      new DataFolderError(`data folder ${missing}: no such folder`),
    );
  });
});
