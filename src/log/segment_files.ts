/**
 * File-system steps of the log, each durable when `durable` is set: a segment file appears
 * complete or not at all (written under a temporary name, synced, renamed, directory synced),
 * and removals are followed by a directory sync so they survive a crash.
 */
import fs from "node:fs";
import path from "node:path";
import { fsyncDirectory } from "../util/durable_file.ts";
import { encodeSegmentHeader, segmentFileName } from "./record_format.ts";

export const temporaryFileSuffix = ".tmp";
export const setAsideFileSuffix = ".corrupt";

export { fsyncDirectory };

/**
 * Writes `contents` as the segment file of `firstIndex`, replacing any file of that name
 * atomically, and returns a read-write descriptor on it positioned for appends by offset.
 */
export function writeSegmentFileAtomically(dir: string, firstIndex: number, contents: Uint8Array, durable: boolean): number {
  const finalPath = path.join(dir, segmentFileName(firstIndex));
  const temporaryPath = finalPath + temporaryFileSuffix;
  const fd = fs.openSync(temporaryPath, "w+");
  try {
    writeFully(fd, contents, 0, contents.length, 0);
    if (durable) fs.fdatasyncSync(fd);
    fs.renameSync(temporaryPath, finalPath);
    if (durable) fsyncDirectory(dir);
    return fd;
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(temporaryPath, { force: true });
    throw error;
  }
}

export function createEmptySegmentFile(dir: string, firstIndex: number, durable: boolean): number {
  return writeSegmentFileAtomically(dir, firstIndex, encodeSegmentHeader(firstIndex), durable);
}

/** Writes bytes [start, end) of `source` at file position `position`, looping over short writes. */
export function writeFully(fd: number, source: Uint8Array, start: number, end: number, position: number): void {
  let written = start;
  while (written < end) {
    written += fs.writeSync(fd, source, written, end - written, position + (written - start));
  }
}

/** Removes segment files, newest first so a crash midway leaves a log that is a prefix. */
export function removeFiles(dir: string, paths: string[], durable: boolean): void {
  if (paths.length === 0) return;
  for (const filePath of paths) fs.rmSync(filePath, { force: true });
  if (durable) fsyncDirectory(dir);
}

/** Moves an unreadable file out of the way, keeping its bytes for inspection; returns its new path. */
export function setFileAside(dir: string, filePath: string, durable: boolean): string {
  const movedTo = filePath + setAsideFileSuffix;
  fs.renameSync(filePath, movedTo);
  if (durable) fsyncDirectory(dir);
  return movedTo;
}
