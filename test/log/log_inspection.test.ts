/**
 * The read-only log inspection behind `filestore check`: it reports what recovery would find
 * without changing a byte (a torn tail is not cut, a `.tmp` leftover is not removed), tells a
 * torn tail (nothing valid after it, e.g. zeros the file system extended) from lost framing with
 * valid records after it, and runs a payload check on every record whose checksum held.
 */
import { expect, test } from "bun:test";
import fs from "node:fs";
import path from "node:path";
import { inspectLog } from "../../src/log/log_inspection.ts";
import { recordHeaderBytes, segmentHeaderBytes } from "../../src/log/record_format.ts";
import { SegmentedLog } from "../../src/log/segmented_log.ts";
import { appendPayloads, directoriesPerTest, segmentFiles } from "./helpers.ts";

const payloadBytes = 40;
const frameBytes = recordHeaderBytes + payloadBytes;
/** Five records per segment, so eight records make one sealed segment and one last one. */
const segmentSizeBytes = segmentHeaderBytes + 5 * frameBytes;

const freshDirectory = directoriesPerTest();

async function writeLog(label: string, count: number): Promise<{ dir: string; last: string }> {
  const dir = freshDirectory(label);
  const log = await SegmentedLog.open({ dir, segmentSizeBytes });
  await appendPayloads(log, count, payloadBytes);
  await log.close();
  return { dir, last: path.join(dir, segmentFiles(dir).at(-1)!) };
}

test("a clean log: every record valid, nothing to report", async () => {
  const { dir } = await writeLog("clean", 8);
  const inspection = inspectLog(dir);
  expect(
    inspection.segments.map(({ firstIndex, records, validRecords, problems, tornTail }) => ({
      firstIndex,
      records,
      validRecords,
      problems,
      tornTail,
    })),
  ).toEqual([
    { firstIndex: 1, records: 5, validRecords: 5, problems: [], tornTail: null },
    { firstIndex: 6, records: 3, validRecords: 3, problems: [], tornTail: null },
  ]);
  expect(inspection.leftovers).toEqual([]);
});

test("a zero-filled tail is a torn tail with nothing valid past it; neither it nor a leftover is touched", async () => {
  const { dir, last } = await writeLog("zeros", 8);
  const size = fs.statSync(last).size;
  fs.appendFileSync(last, new Uint8Array(3 * frameBytes));
  const leftover = `${last}.tmp`;
  fs.writeFileSync(leftover, "half written");
  const inspection = inspectLog(dir);
  const segment = inspection.segments[1];
  expect(segment.tornTail).toEqual({
    offset: size,
    index: 9,
    bytes: 3 * frameBytes,
    reason: "record index differs from the expected sequence",
  });
  expect(segment.recordPastTail).toBeNull();
  expect(inspection.leftovers).toEqual([leftover]);
  expect(fs.statSync(last).size).toBe(size + 3 * frameBytes);
  expect(fs.existsSync(leftover)).toBe(true);
});

test("lost framing with valid records after it is found: the next record's offset and index", async () => {
  const { dir, last } = await writeLog("framing", 9);
  const fd = fs.openSync(last, "r+");
  fs.writeSync(fd, new Uint8Array([0xff, 0xff]), 0, 2, segmentHeaderBytes + 12 + 2); // high bytes of record 6's length
  fs.closeSync(fd);
  const segment = inspectLog(dir).segments[1];
  expect(segment.tornTail?.offset).toBe(segmentHeaderBytes);
  expect(segment.recordPastTail).toEqual({ offset: segmentHeaderBytes + frameBytes, index: 7 });
});

test("the payload check runs on every record whose checksum held", async () => {
  const { dir } = await writeLog("payload", 8);
  const inspection = inspectLog(dir, (index) => (index % 4 === 0 ? `record ${index} is not a multiple` : null));
  const problems = inspection.segments.flatMap((segment) =>
    segment.problems.map((problem) => [problem.index, problem.reason]),
  );
  expect(problems).toEqual([
    [4, "record 4 is not a multiple"],
    [8, "record 8 is not a multiple"],
  ]);
  expect(inspection.segments.map((segment) => segment.validRecords)).toEqual([4, 2]);
});
