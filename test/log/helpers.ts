/** Shared helpers of the log tests: temporary directories and payload generation. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** A fresh directory under the OS temp dir; remove it with removeTemporaryDirectory. */
export function makeTemporaryDirectory(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `filestore-log-${label}-`));
}

export function removeTemporaryDirectory(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A deterministic payload for `index`, of `length` bytes, so content checks need no stored copy. */
export function payloadFor(index: number, length: number): Uint8Array {
  const payload = new Uint8Array(length);
  for (let position = 0; position < length; position += 1) payload[position] = (index * 31 + position * 7) & 0xff;
  return payload;
}

export function segmentFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => name.endsWith(".log")).sort();
}
