/** Shared helpers of the log tests: temporary directories and payload generation. */
import { afterEach } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { SegmentedLog } from "../../src/log/segmented_log.ts";

/** A fresh directory under the OS temp dir; remove it with removeTemporaryDirectory. */
export function makeTemporaryDirectory(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `filestore-log-${label}-`));
}

export function removeTemporaryDirectory(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Call once at the top of a test file: the function it gives makes a fresh directory, removed after its test. */
export function directoriesPerTest(): (label: string) => string {
  const directories: string[] = [];
  afterEach(() => {
    for (const dir of directories.splice(0)) removeTemporaryDirectory(dir);
  });
  return (label) => {
    const dir = makeTemporaryDirectory(label);
    directories.push(dir);
    return dir;
  };
}

/** A deterministic payload for `index`, of `length` bytes, so content checks need no stored copy. */
export function payloadFor(index: number, length: number): Uint8Array {
  const payload = new Uint8Array(length);
  for (let position = 0; position < length; position += 1) payload[position] = (index * 31 + position * 7) & 0xff;
  return payload;
}

/** Appends records 1..count to `log`, one append each, record i holding payloadFor(i, payloadBytes). */
export async function appendPayloads(log: SegmentedLog, count: number, payloadBytes: number): Promise<void> {
  for (let index = 1; index <= count; index += 1) await log.append([payloadFor(index, payloadBytes)]);
}

export function segmentFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => name.endsWith(".log")).sort();
}
