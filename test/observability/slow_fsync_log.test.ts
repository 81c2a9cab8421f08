/** SlowFsyncLog: a warning for an fdatasync at or over the threshold, nothing below it. */
import { expect, test } from "bun:test";
import { SlowFsyncLog } from "../../src/observability/slow_fsync_log.ts";
import { CollectingLogger } from "../util/collecting_logger.ts";

test("fdatasyncs below the threshold are silent; one at or over it is a warning with its duration", () => {
  const logger = new CollectingLogger();
  const slow = new SlowFsyncLog(logger, 100, "/data/log");
  slow.observe(0.0002);
  slow.observe(0.0999);
  expect(logger.lines).toEqual([]);
  slow.observe(0.25);
  expect(logger.lines).toEqual([
    {
      level: "warn",
      message: "slow fsync",
      fields: { dir: "/data/log", duration_ms: 250, threshold_ms: 100, count: 1 },
    },
  ]);
  slow.close();
});

test("a threshold of 0 reports every fdatasync, the repeats counted into one line", () => {
  const logger = new CollectingLogger();
  const slow = new SlowFsyncLog(logger, 0, "/data/raft/log");
  for (let fsync = 0; fsync < 10; fsync++) slow.observe(0.0001);
  slow.close();
  expect(logger.lines.map((line) => line.fields.count)).toEqual([1, 9]);
});
