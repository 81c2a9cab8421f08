/** A background checkpoint that fails is logged as a warning (and kept for stats), not only kept. */
import { expect, test } from "bun:test";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { checkpointFileName } from "../../src/engine/checkpoint.ts";
import { Engine } from "../../src/engine/engine.ts";
import { CollectingLogger } from "../util/collecting_logger.ts";
import { bytes, temporaryFolder } from "./helpers.ts";

/** The background check runs every few hundred applies; this many reach it. */
const writes = 600;
const pollsMax = 1000;

test("a failed background checkpoint is logged with its error", async () => {
  await using folder = await temporaryFolder();
  // A folder where the checkpoint's temporary file goes: opening it for writing fails.
  await mkdir(join(folder.path, `${checkpointFileName}.tmp`), { recursive: true });
  const logger = new CollectingLogger();
  const engine = await Engine.open({
    dir: folder.path, fsync: "unsafe-no-fsync", autoCompaction: false, autoCheckpoint: { recordsMin: 10 }, logger,
  });
  for (let index = 0; index < writes; index++) {
    await engine.apply({ op: "put", key: bytes(`k${index}`), value: bytes("v") });
  }
  for (let poll = 0; poll < pollsMax && engine.lastBackgroundError === null; poll++) await Bun.sleep(5);
  expect(engine.lastBackgroundError).not.toBeNull();
  const warning = logger.lines.find((line) => line.level === "warn");
  expect(warning).toEqual({
    level: "warn",
    message: "background checkpoint failed; it is tried again later",
    fields: { error: engine.lastBackgroundError!.message },
  });
  await engine.close();
});
