/**
 * A read-only look at a log folder, for `filestore check`: every segment judged by the same
 * checks recovery runs at open (checkSealedSegment, checkLastSegment in recovery.ts; rules in
 * record_format.ts), without changing a byte: nothing is cut, set aside or removed.
 *
 * Like recovery, it looks past a torn tail. Recovery cuts the last segment where its framing is
 * lost, which is right for a write a crash interrupted; a damaged length field in the middle of
 * the newest segment looks the same until a valid record is found past that point
 * (findRecordAfter): then recovery refuses to start rather than cut it, and this reports it as
 * damage. (After a power loss the pages of one unsynced write can also land out of order, so
 * such a find can also be the pieces of a write that was never acknowledged.)
 */
import fs from "node:fs";
import path from "node:path";
import type { InspectionReport } from "../util/inspection_report.ts";
import { checkLastSegment, checkSealedSegment, findSegmentFiles, type SegmentFile, type TornTail } from "./recovery.ts";
import { recordHeaderBytes, recordPayloadLength } from "./record_format.ts";
import { setAsideFileSuffix } from "./segment_files.ts";
import { findRecordAfter, type SegmentScan } from "./segment_scan.ts";
import type { CorruptRecordInfo } from "./types.ts";

/** Judges one record's payload beyond its checksum (e.g. that it decodes); null when it is fine. */
type PayloadCheck = (index: number, payload: Uint8Array) => string | null;

interface SegmentInspection {
  file: string;
  firstIndex: number;
  sizeBytes: number;
  /** Records it holds, readable or not (a sealed one: up to the next segment's first index). */
  records: number;
  /** Records that passed every check. */
  validRecords: number;
  /** Damage: records or ranges that fail their checks, the header included. */
  problems: CorruptRecordInfo[];
  /** The last segment's torn tail, which recovery cuts. */
  tornTail: TornTail | null;
  /** A valid record past the torn tail: the cut would drop it (see the head comment). */
  recordPastTail: { offset: number; index: number } | null;
}

interface LogInspection {
  segments: SegmentInspection[];
  /** Leftovers of interrupted atomic writes (`.tmp`), which recovery removes. */
  leftovers: string[];
  /** Last segments an earlier start set aside (`.corrupt`) for an unreadable header. */
  setAside: string[];
}

/** Inspects the log in `dir`; a missing folder is an empty log. */
export function inspectLog(dir: string, payloadCheck?: PayloadCheck): LogInspection {
  if (!fs.existsSync(dir)) return { segments: [], leftovers: [], setAside: [] };
  const { files, leftovers } = findSegmentFiles(dir);
  const setAside = fs
    .readdirSync(dir)
    .filter((name) => name.endsWith(setAsideFileSuffix))
    .map((name) => path.join(dir, name));
  const segments = files.map((file, position) => {
    const bytes = new Uint8Array(fs.readFileSync(file.filePath));
    const next = files[position + 1];
    return next === undefined
      ? inspectLast(file, bytes, payloadCheck)
      : inspectSealed(file, next.firstIndex, bytes, payloadCheck);
  });
  return { segments, leftovers, setAside };
}

/** Index of the last record a start would keep (0 when there is no segment). */
export function inspectedLastIndex(log: LogInspection): number {
  const last = log.segments.at(-1);
  return last === undefined ? 0 : last.firstIndex + last.records - 1;
}

/** Adds one line per segment and one per finding to `report`. */
export function reportLog(report: InspectionReport, log: LogInspection): void {
  for (const segment of log.segments) {
    const records =
      segment.records === 0
        ? "no records"
        : `records ${segment.firstIndex}..${segment.firstIndex + segment.records - 1}`;
    const unreadable = segment.records - segment.validRecords;
    const detail = unreadable === 0 ? records : `${records} (${unreadable} unreadable)`;
    report.checked(segment.file, "log segment", `${detail}, ${segment.sizeBytes} bytes`);
    for (const problem of segment.problems) report.damage(problem.file, problem.offset, problem.index, problem.reason);
    reportTornTail(report, segment);
  }
  for (const file of log.leftovers)
    report.note(file, null, null, "leftover of an interrupted write; start-up removes it");
  for (const file of log.setAside)
    report.note(file, null, null, "segment an earlier start set aside for its unreadable header");
}

function reportTornTail(report: InspectionReport, segment: SegmentInspection): void {
  const tail = segment.tornTail;
  if (tail === null) return;
  const past = segment.recordPastTail;
  if (past === null) {
    const cause = "a write cut by a crash, never acknowledged; start-up cuts it";
    const what = `torn tail of ${tail.bytes} bytes (${tail.reason}): ${cause}`;
    report.note(segment.file, tail.offset, tail.index, what);
    return;
  }
  const what =
    `${tail.reason}, and the framing is lost; yet a valid record (${past.index}) follows at offset ${past.offset}: ` +
    `not a torn write (cutting ${tail.bytes} bytes here would lose that record), so start-up refuses`;
  report.damage(segment.file, tail.offset, tail.index, what);
}

function inspectSealed(
  file: SegmentFile,
  nextFirstIndex: number,
  bytes: Uint8Array,
  payloadCheck?: PayloadCheck,
): SegmentInspection {
  const { scan, problems } = checkSealedSegment(file, nextFirstIndex, bytes);
  const payloadProblems = checkPayloads(file, bytes, scan, payloadCheck);
  return {
    file: file.filePath,
    firstIndex: file.firstIndex,
    sizeBytes: bytes.length,
    records: nextFirstIndex - file.firstIndex,
    validRecords: scan.offsets.length - scan.corruptRecords.length - payloadProblems.length,
    problems: [...problems, ...payloadProblems],
    tornTail: null,
    recordPastTail: null,
  };
}

function inspectLast(file: SegmentFile, bytes: Uint8Array, payloadCheck?: PayloadCheck): SegmentInspection {
  const check = checkLastSegment(file, bytes);
  const inspection: SegmentInspection = {
    file: file.filePath,
    firstIndex: file.firstIndex,
    sizeBytes: bytes.length,
    records: 0,
    validRecords: 0,
    problems: [],
    tornTail: null,
    recordPastTail: null,
  };
  if (check.scan === null) return { ...inspection, problems: [check.headerProblem] };
  const payloadProblems = checkPayloads(file, bytes, check.scan, payloadCheck);
  const tornTail = check.tornTail;
  return {
    ...inspection,
    records: check.scan.offsets.length,
    validRecords: check.scan.offsets.length - check.scan.corruptRecords.length - payloadProblems.length,
    problems: [...check.problems, ...payloadProblems],
    tornTail,
    recordPastTail: tornTail === null ? null : findRecordAfter(bytes, tornTail.offset, tornTail.index),
  };
}

/** Runs `payloadCheck` on every record whose checksum held. */
function checkPayloads(
  file: SegmentFile,
  bytes: Uint8Array,
  scan: SegmentScan,
  payloadCheck?: PayloadCheck,
): CorruptRecordInfo[] {
  if (payloadCheck === undefined) return [];
  const corrupt = new Set(scan.corruptRecords.map((record) => record.index));
  const problems: CorruptRecordInfo[] = [];
  for (let position = 0; position < scan.offsets.length; position += 1) {
    const index = file.firstIndex + position;
    if (corrupt.has(index)) continue;
    const offset = scan.offsets.at(position);
    const start = offset + recordHeaderBytes;
    const problem = payloadCheck(index, bytes.subarray(start, start + recordPayloadLength(bytes, offset)));
    if (problem !== null) problems.push({ file: file.filePath, offset, index, reason: problem });
  }
  return problems;
}
