/**
 * Opening a log directory: finds the segment files, scans and checks each (rules in
 * record_format.ts), truncates a torn tail in the last segment, and reports corruption found
 * anywhere else. Never serves or keeps bytes whose checksum failed as data.
 */
import fs from "node:fs";
import path from "node:path";
import type { CorruptRecordInfo, RecoveryReport } from "./types.ts";
import { OffsetTable } from "./offset_table.ts";
import { mapSegmentFile, Segment } from "./segment.ts";
import { scanSegment, type SegmentScan } from "./segment_scan.ts";
import { encodeSegmentHeader, parseSegmentFileName, segmentFileName, segmentHeaderBytes, segmentHeaderProblem } from "./record_format.ts";
import { createEmptySegmentFile, fsyncDirectory, setFileAside, temporaryFileSuffix } from "./segment_files.ts";

interface RecoveredLog {
  segments: Segment[];
  report: RecoveryReport;
}

interface SegmentFile {
  firstIndex: number;
  filePath: string;
}

export function recoverLog(dir: string, durable: boolean): RecoveredLog {
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
      const active = openLastSegment(dir, file, report, durable);
      if (active !== null) segments.push(active);
    } else {
      segments.push(openSealedSegment(file, files[position + 1].firstIndex, report));
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

/** Segment files sorted by first index; leftovers of interrupted atomic writes are removed. */
function listSegmentFiles(dir: string, durable: boolean): SegmentFile[] {
  const files: SegmentFile[] = [];
  let removedLeftovers = false;
  for (const name of fs.readdirSync(dir)) {
    if (name.endsWith(temporaryFileSuffix)) {
      fs.rmSync(path.join(dir, name), { force: true });
      removedLeftovers = true;
      continue;
    }
    const firstIndex = parseSegmentFileName(name);
    if (firstIndex !== null) files.push({ firstIndex, filePath: path.join(dir, name) });
  }
  if (removedLeftovers && durable) fsyncDirectory(dir);
  return files.sort((left, right) => left.firstIndex - right.firstIndex);
}

/**
 * A segment before the last one: mapped, checked, and given exactly the records up to the next
 * segment's first index. Missing, unlocatable or surplus records are reported as corruption.
 */
function openSealedSegment(file: SegmentFile, nextFirstIndex: number, report: RecoveryReport): Segment {
  const expectedCount = nextFirstIndex - file.firstIndex;
  const size = fs.statSync(file.filePath).size;
  const bytes = size === 0 ? new Uint8Array(0) : mapSegmentFile(file.filePath);
  const headerProblem = segmentHeaderProblem(bytes, file.firstIndex);
  const scan: SegmentScan =
    headerProblem === null
      ? scanSegment(bytes, file.firstIndex, true)
      : { offsets: new OffsetTable(), corruptRecords: [], validEndOffset: 0, framingLost: { offset: 0, index: file.firstIndex, reason: headerProblem } };
  if (scan.offsets.length > expectedCount) {
    report.corruptRecords.push({ file: file.filePath, offset: scan.offsets.at(expectedCount), index: nextFirstIndex, reason: "records overlap the next segment; ignored" });
    scan.offsets.truncate(expectedCount);
    scan.corruptRecords = scan.corruptRecords.filter((record) => record.index < nextFirstIndex);
  }
  reportCorruptRecords(file.filePath, scan, report);
  const segment = new Segment(file.firstIndex, file.filePath, bytes, bytes.length, scan.offsets, null);
  segment.recordCount = expectedCount;
  if (scan.offsets.length < expectedCount) {
    const offset = scan.framingLost?.offset ?? scan.validEndOffset;
    const cause = scan.framingLost?.reason ?? "segment ends early";
    const reason = `${cause}: records ${file.firstIndex + scan.offsets.length}..${nextFirstIndex - 1} unreadable`;
    segment.unreadable = { file: file.filePath, offset, index: file.firstIndex + scan.offsets.length, reason };
    report.corruptRecords.push(segment.unreadable);
  }
  return segment;
}

/**
 * The last segment: loaded into memory, checked, its torn tail cut. Returns null when its
 * header is unreadable: the file is set aside (kept for inspection) and reported.
 */
function openLastSegment(dir: string, file: SegmentFile, report: RecoveryReport, durable: boolean): Segment | null {
  const contents = new Uint8Array(fs.readFileSync(file.filePath));
  const headerProblem = segmentHeaderProblem(contents, file.firstIndex);
  if (headerProblem !== null) {
    report.corruptRecords.push({ file: file.filePath, offset: 0, index: file.firstIndex, reason: `${headerProblem}: segment set aside, its records unreadable` });
    const movedTo = setFileAside(dir, file.filePath, durable);
    report.segmentsSetAside.push({ file: file.filePath, movedTo, reason: headerProblem });
    return null;
  }
  const scan = scanSegment(contents, file.firstIndex, false);
  reportCorruptRecords(file.filePath, scan, report);
  const fd = fs.openSync(file.filePath, "r+");
  if (scan.validEndOffset < contents.length) {
    const bytesCut = contents.length - scan.validEndOffset;
    report.tornTail = { file: file.filePath, offset: scan.validEndOffset, bytesCut };
    fs.ftruncateSync(fd, scan.validEndOffset);
    if (durable) fs.fdatasyncSync(fd);
  }
  return new Segment(file.firstIndex, file.filePath, contents, scan.validEndOffset, scan.offsets, fd);
}

/** Reports the framed corrupt records of a scan and counts its readable ones as recovered. */
function reportCorruptRecords(filePath: string, scan: SegmentScan, report: RecoveryReport): void {
  report.recordsRecovered += scan.offsets.length - scan.corruptRecords.length;
  for (const record of scan.corruptRecords) {
    const info: CorruptRecordInfo = { file: filePath, offset: record.offset, index: record.index, reason: record.reason };
    report.corruptRecords.push(info);
  }
}
