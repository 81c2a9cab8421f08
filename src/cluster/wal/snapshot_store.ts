/**
 * The snapshot images of the shared log's groups, one file each in DIR/snapshots/ (naming and
 * why images are not records: wal_record_format.ts; file layout: snapshot_file.ts). A new image
 * gets a new sequence number, so a file is written once (atomically: temporary name, fdatasync,
 * rename, directory fsync) and never replaced: the snapshot record naming it can be appended
 * after it is durable, and the image it replaces removed once that record is. A crash between
 * leaves a file no record names, which the next open removes.
 */
import fs from "node:fs";
import path from "node:path";
import type { Snapshot } from "../raft/types.ts";
import { readSnapshotFile, writeSnapshotFile } from "../storage/snapshot_file.ts";
import { RaftStorageCorruptError } from "../storage/types.ts";
import type { SnapshotRecord } from "./wal_record_format.ts";

const fileSuffix = ".snapshot";
const namePattern = /^(\d{10})-(\d{20})\.snapshot$/;

interface SnapshotFileName {
  groupId: number;
  sequence: number;
}

function snapshotFileName(groupId: number, sequence: number): string {
  return `${String(groupId).padStart(10, "0")}-${String(sequence).padStart(20, "0")}${fileSuffix}`;
}

function parseSnapshotFileName(name: string): SnapshotFileName | null {
  const match = namePattern.exec(name);
  if (match === null) return null;
  const groupId = Number(match[1]);
  const sequence = Number(match[2]);
  return Number.isSafeInteger(sequence) && sequence >= 1 ? { groupId, sequence } : null;
}

export class SnapshotStore {
  private nextSequence = 1;

  constructor(
    readonly dir: string,
    private readonly durable: boolean,
  ) {
    fs.mkdirSync(dir, { recursive: true });
  }

  filePath(groupId: number, sequence: number): string {
    return path.join(this.dir, snapshotFileName(groupId, sequence));
  }

  /** Makes later sequences start above `sequence` (recovery: above every one seen). */
  advancePast(sequence: number): void {
    this.nextSequence = Math.max(this.nextSequence, sequence + 1);
  }

  /** Writes the image durably under a new sequence and returns it; 0 (no file) for an empty image. */
  store(groupId: number, snapshot: Snapshot): number {
    if (snapshot.data.length === 0) return 0;
    const sequence = this.nextSequence++;
    writeSnapshotFile(this.filePath(groupId, sequence), snapshot, this.durable);
    return sequence;
  }

  /** The snapshot a record names, its image read and checked against the record. */
  load(groupId: number, record: SnapshotRecord): Snapshot {
    const metadata = { index: record.index, term: record.term, confState: record.confState };
    if (record.fileSequence === 0) return { metadata, data: new Uint8Array(0) };
    const filePath = this.filePath(groupId, record.fileSequence);
    if (!fs.existsSync(filePath)) throw new RaftStorageCorruptError(filePath, "snapshot file missing");
    const stored = readSnapshotFile(filePath, record.confState);
    if (stored.metadata.index !== record.index || stored.metadata.term !== record.term) {
      const found = `${stored.metadata.index}@${stored.metadata.term}`;
      const named = `${record.index}@${record.term}`;
      throw new RaftStorageCorruptError(filePath, `holds snapshot ${found}, the log names ${named}`);
    }
    return { metadata, data: stored.data };
  }

  exists(groupId: number, sequence: number): boolean {
    return fs.existsSync(this.filePath(groupId, sequence));
  }

  /** Removes an image no record needs any more (a crash before this only leaves work for the next open). */
  remove(groupId: number, sequence: number): void {
    if (sequence !== 0) fs.rmSync(this.filePath(groupId, sequence), { force: true });
  }

  /**
   * Removes every file but the images `keep` names (`group-sequence`), leftovers of interrupted
   * writes included; advances the sequence past every file seen. Returns the files removed.
   */
  removeAllBut(keep: ReadonlySet<string>): string[] {
    const removed: string[] = [];
    for (const name of fs.readdirSync(this.dir)) {
      const parsed = parseSnapshotFileName(name);
      if (parsed !== null) {
        this.advancePast(parsed.sequence);
        if (keep.has(`${parsed.groupId}-${parsed.sequence}`)) continue;
      }
      fs.rmSync(path.join(this.dir, name), { force: true, recursive: true });
      removed.push(name);
    }
    return removed;
  }
}
