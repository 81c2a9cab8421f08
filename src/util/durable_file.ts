/** Small synchronous file-system steps shared by the log segments and the Raft hard-state and snapshot files. */
import fs from "node:fs";
import path from "node:path";

export function fsyncDirectory(dir: string): void {
  const directoryFd = fs.openSync(dir, "r");
  try {
    fs.fsyncSync(directoryFd);
  } finally {
    fs.closeSync(directoryFd);
  }
}

/** Writes bytes [start, end) of `source` at `position`, looping over short writes. */
export function writeFully(fd: number, source: Uint8Array, start: number, end: number, position: number): void {
  let written = start;
  while (written < end) written += fs.writeSync(fd, source, written, end - written, position + (written - start));
}

/**
 * Replaces `filePath` with `parts` (concatenated) so that a crash leaves the old file or the
 * new one, never a mix: temporary name, fdatasync, rename, directory fsync.
 */
export function replaceFileAtomically(filePath: string, parts: Uint8Array[], durable: boolean): void {
  const temporaryPath = `${filePath}.tmp`;
  const fd = fs.openSync(temporaryPath, "w");
  try {
    let position = 0;
    for (const part of parts) {
      writeFully(fd, part, 0, part.length, position);
      position += part.length;
    }
    if (durable) fs.fdatasyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(temporaryPath, { force: true });
    throw error;
  }
  fs.closeSync(fd);
  fs.renameSync(temporaryPath, filePath);
  if (durable) fsyncDirectory(path.dirname(filePath));
}
