/**
 * Opening a log directory: finds the segment files, scans and checks each (rules in
 * record_format.ts), truncates a torn tail in the last segment, and reports corruption found
 * anywhere else. Never serves or keeps bytes whose checksum failed as data.
 * The checks themselves (checkSealedSegment, checkLastSegment) are pure and shared with the
 * read-only inspection of `filestore check` (log_inspection.ts), so both judge a file alike.
 */
import fs from "node:fs";
import path from "node:path";
import { CorruptRecordError, type CorruptRecordInfo, type RecoveryReport } from "./types.ts";
import { OffsetTable } from "./offset_table.ts";
import { mapSegmentFile, Segment } from "./segment.ts";
import { findRecordAfter, scanSegment, type SegmentScan } from "./segment_scan.ts";
import { encodeSegmentHeader, parseSegmentFileName, segmentFileName, segmentHeaderBytes, segmentHeaderProblem } from "./record_format.ts";
import { createEmptySegmentFile, fsyncDirectory, setFileAside, temporaryFileSuffix } from "./segment_files.ts";

interface RecoveredLog {
  segments: Segment[];
  report: RecoveryReport;
}

export interface SegmentFile {
  firstIndex: number;
  filePath: string;
}

/**
 * `refuseDamage`: throw CorruptRecordError at the first damage that is not a torn tail, before
 * any segment is cut or set aside (LogOptions.damage).
 */
export function recoverLog(dir: string, durable: boolean, refuseDamage = false): RecoveredLog {
  fs.mkdirSync(dir, { recursive: true });
  const files = listSegmentFiles(dir, durable);
  const report: RecoveryReport = {
    segmentsScanned: 0, recordsRecovered: 0, tornTail: null, corruptRecords: [], segmentsSetAside: [],
  };
  const segments: Segment[] = [];
  for (let position = 0; position < files.length; position += 1) {
    const file = files[position];
    const isLast = position === files.length - 1;
    report.segmentsScanned += 1;
    if (isLast) {
      const active = openLastSegment(dir, file, report, durable, refuseDamage);
      if (active !== null) segments.push(active);
    } else {
      segments.push(openSealedSegment(file, files[position + 1].firstIndex, report, refuseDamage));
    }
  }
  // No segment yet, or the last one was set aside: a fresh one takes over where it began.
  if (segments.length === 0 || !segments[segments.length - 1].isActive()) {
    const nextIndex = files.length === 0 ? 1 : files[files.length - 1].firstIndex;
    segments.push(createActiveSegment(dir, nextIndex, durable));
  }
  return { segments, report };
}

export function createActiveSegment(dir: string, firstIndex: number, durable: boolean): Segment {
  const fd = createEmptySegmentFile(dir, firstIndex, durable);
  const filePath = path.join(dir, segmentFileName(firstIndex));
  return new Segment(firstIndex, filePath, encodeSegmentHeader(firstIndex), segmentHeaderBytes, new OffsetTable(), fd);
}

/** Segment files sorted by first index, and leftovers of interrupted atomic writes (`.tmp`). */
export function findSegmentFiles(dir: string): { files: SegmentFile[]; leftovers: string[] } {
  const files: SegmentFile[] = [];
  const leftovers: string[] = [];
  for (const name of fs.readdirSync(dir)) {
    if (name.endsWith(temporaryFileSuffix)) {
      leftovers.push(path.join(dir, name));
      continue;
    }
    const firstIndex = parseSegmentFileName(name);
    if (firstIndex !== null) files.push({ firstIndex, filePath: path.join(dir, name) });
  }
  files.sort((left, right) => left.firstIndex - right.firstIndex);
  return { files, leftovers };
}

/** Segment files sorted by first index; leftovers of interrupted atomic writes are removed. */
function listSegmentFiles(dir: string, durable: boolean): SegmentFile[] {
  const { files, leftovers } = findSegmentFiles(dir);
  for (const leftover of leftovers) fs.rmSync(leftover, { force: true });
  if (leftovers.length > 0 && durable) fsyncDirectory(dir);
  return files;
}

/** What the checks of a sealed segment found (pure: recovery and `filestore check` share it). */
interface SealedSegmentCheck {
  /** Offsets of its records, cut to the records it should hold. */
  scan: SegmentScan;
  /** Every problem, in the order recovery reports them; `unreadable` last when set. */
  problems: CorruptRecordInfo[];
  /** The records from where the framing was lost (or the file ended) to the next segment. */
  unreadable: CorruptRecordInfo | null;
}

/**
 * Checks a segment before the last one, which must hold exactly the records up to the next
 * segment's first index: missing, unlocatable or surplus records are problems.
 */
export function checkSealedSegment(file: SegmentFile, nextFirstIndex: number, bytes: Uint8Array): SealedSegmentCheck {
  const expectedCount = nextFirstIndex - file.firstIndex;
  const headerProblem = segmentHeaderProblem(bytes, file.firstIndex);
  const scan: SegmentScan =
    headerProblem === null
      ? scanSegment(bytes, file.firstIndex, true)
      : { offsets: new OffsetTable(), corruptRecords: [], validEndOffset: 0, framingLost: { offset: 0, index: file.firstIndex, reason: headerProblem } };
  const problems: CorruptRecordInfo[] = [];
  if (scan.offsets.length > expectedCount) {
    const reason = "records overlap the next segment; ignored";
    problems.push({ file: file.filePath, offset: scan.offsets.at(expectedCount), index: nextFirstIndex, reason });
    scan.offsets.truncate(expectedCount);
    scan.corruptRecords = scan.corruptRecords.filter((record) => record.index < nextFirstIndex);
  }
  for (const record of scan.corruptRecords) problems.push({ file: file.filePath, ...record });
  let unreadable: CorruptRecordInfo | null = null;
  if (scan.offsets.length < expectedCount) {
    const offset = scan.framingLost?.offset ?? scan.validEndOffset;
    const cause = scan.framingLost?.reason ?? "segment ends early";
    const reason = `${cause}: records ${file.firstIndex + scan.offsets.length}..${nextFirstIndex - 1} unreadable`;
    unreadable = { file: file.filePath, offset, index: file.firstIndex + scan.offsets.length, reason };
    problems.push(unreadable);
  }
  return { scan, problems, unreadable };
}

/** The bytes recovery cuts from the end of the last segment: a write a crash interrupted. */
export interface TornTail {
  offset: number;
  /** Index the first cut record would have had. */
  index: number;
  bytes: number;
  reason: string;
}

/**
 * What the checks of the last segment found (pure: recovery and `filestore check` share it):
 * an unreadable header (recovery sets the whole file aside), or its scan with the records whose
 * framing was confirmed but whose check failed, and its torn tail.
 */
type LastSegmentCheck =
  | { headerProblem: CorruptRecordInfo; scan: null }
  | { headerProblem: null; scan: SegmentScan; problems: CorruptRecordInfo[]; tornTail: TornTail | null };

export function checkLastSegment(file: SegmentFile, bytes: Uint8Array): LastSegmentCheck {
  const headerProblem = segmentHeaderProblem(bytes, file.firstIndex);
  if (headerProblem !== null) {
    const reason = `${headerProblem}: segment set aside, its records unreadable`;
    return { headerProblem: { file: file.filePath, offset: 0, index: file.firstIndex, reason }, scan: null };
  }
  const scan = scanSegment(bytes, file.firstIndex, false);
  const problems = scan.corruptRecords.map((record) => ({ file: file.filePath, ...record }));
  const lost = scan.framingLost;
  const tornTail = lost === null ? null : { ...lost, bytes: bytes.length - lost.offset };
  return { headerProblem: null, scan, problems, tornTail };
}

/**
 * A segment before the last one: mapped, checked, and given exactly the records up to the next
 * segment's first index. Missing, unlocatable or surplus records are reported as corruption.
 */
function openSealedSegment(
  file: SegmentFile,
  nextFirstIndex: number,
  report: RecoveryReport,
  refuseDamage: boolean,
): Segment {
  const size = fs.statSync(file.filePath).size;
  const bytes = size === 0 ? new Uint8Array(0) : mapSegmentFile(file.filePath);
  const { scan, problems, unreadable } = checkSealedSegment(file, nextFirstIndex, bytes);
  if (refuseDamage && problems.length > 0) throw corruptRecordError(problems[0]);
  report.recordsRecovered += scan.offsets.length - scan.corruptRecords.length;
  report.corruptRecords.push(...problems);
  const segment = new Segment(file.firstIndex, file.filePath, bytes, bytes.length, scan.offsets, null);
  segment.recordCount = nextFirstIndex - file.firstIndex;
  segment.unreadable = unreadable;
  return segment;
}

/**
 * The last segment: loaded into memory, checked, its torn tail cut. Returns null when its
 * header is unreadable: the file is set aside (kept for inspection) and reported.
 */
function openLastSegment(
  dir: string,
  file: SegmentFile,
  report: RecoveryReport,
  durable: boolean,
  refuseDamage: boolean,
): Segment | null {
  const contents = new Uint8Array(fs.readFileSync(file.filePath));
  const check = checkLastSegment(file, contents);
  if (refuseDamage && check.scan === null) throw corruptRecordError(check.headerProblem);
  if (refuseDamage && check.scan !== null && check.problems.length > 0) throw corruptRecordError(check.problems[0]);
  if (check.scan === null) {
    report.corruptRecords.push(check.headerProblem);
    const movedTo = setFileAside(dir, file.filePath, durable);
    report.segmentsSetAside.push({ file: file.filePath, movedTo, reason: check.headerProblem.reason });
    return null;
  }
  const { scan, problems, tornTail } = check;
  if (tornTail !== null) refuseToCutValidRecords(file, contents, tornTail);
  report.recordsRecovered += scan.offsets.length - scan.corruptRecords.length;
  report.corruptRecords.push(...problems);
  const fd = fs.openSync(file.filePath, "r+");
  if (tornTail !== null) {
    report.tornTail = { file: file.filePath, offset: scan.validEndOffset, bytesCut: tornTail.bytes };
    fs.ftruncateSync(fd, scan.validEndOffset);
    if (durable) fs.fdatasyncSync(fd);
  }
  return new Segment(file.firstIndex, file.filePath, contents, scan.validEndOffset, scan.offsets, fd);
}

function corruptRecordError(problem: CorruptRecordInfo): CorruptRecordError {
  return new CorruptRecordError(problem.file, problem.offset, problem.index, problem.reason);
}

/**
 * A torn write leaves garbage only after the last whole record; a valid record past the point
 * where the framing was lost means the damage is inside the log (a damaged length field, say),
 * and cutting there would drop records that may have been acknowledged. Start-up refuses, as for
 * any corrupt record it must replay, and `filestore check` reports the same find. (After a power
 * loss the pages of one unsynced write can land out of order and look the same; refusing is the
 * side that loses nothing.)
 */
function refuseToCutValidRecords(file: SegmentFile, contents: Uint8Array, tornTail: TornTail): void {
  const found = findRecordAfter(contents, tornTail.offset, tornTail.index);
  if (found === null) return;
  const reason =
    `${tornTail.reason}; a valid record follows at offset ${found.offset} (index ${found.index}), ` +
    "so this is damage, not a torn write, and cutting the log here would lose it";
  throw new CorruptRecordError(file.filePath, tornTail.offset, tornTail.index, reason);
}
