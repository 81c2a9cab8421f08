/**
 * The snapshot images of the shared log's groups, one file each in DIR/snapshots/ (naming and
 * why images are not records: wal_record_format.ts; file layout: snapshot_file.ts). A new image
 * gets a new sequence number, so a file is written once (atomically: temporary name, fdatasync,
 * rename, directory fsync) and never replaced: the snapshot record naming it can be appended
 * after it is durable, and the image it replaces removed once that record is. A crash between
 * leaves a file no record names, which the next open removes.
 *
 * The files themselves sit behind SnapshotFiles: the folder (folderSnapshotFiles), or the
 * deterministic simulator's memory (test/sim/), where a stored image is durable on return as
 * here and survives a simulated crash.
 */
import fs from "node:fs";
import path from "node:path";
import type { ConfState, Snapshot } from "../raft/types.ts";
import { readSnapshotFile, writeSnapshotFile } from "../storage/snapshot_file.ts";
import { RaftStorageCorruptError } from "../storage/types.ts";
import type { SnapshotRecord } from "./wal_record_format.ts";

const fileSuffix = ".snapshot";
const namePattern = /^(\d{10})-(\d{20})\.snapshot$/;

/** The files of a snapshot store, by name: the folder's, or the simulator's. */
export interface SnapshotFiles {
  /** Where `name` is, for errors. */
  path(name: string): string;
  /** Writes the image under `name` once, atomically; durable on return when the store is durable. */
  write(name: string, snapshot: Snapshot): void;
  /** The image in `name`, checked (snapshot_file.ts: RaftStorageCorruptError when a check fails). */
  read(name: string, confState: ConfState): Snapshot;
  exists(name: string): boolean;
  remove(name: string): void;
  /** Every file name, leftovers of interrupted writes included. */
  list(): string[];
}

/** The files in `dir` (created when missing), written durably unless `durable` is false. */
export function folderSnapshotFiles(dir: string, durable: boolean): SnapshotFiles {
  fs.mkdirSync(dir, { recursive: true });
  return {
    path: (name) => path.join(dir, name),
    write: (name, snapshot) => writeSnapshotFile(path.join(dir, name), snapshot, durable),
    read: (name, confState) => readSnapshotFile(path.join(dir, name), confState),
    exists: (name) => fs.existsSync(path.join(dir, name)),
    remove: (name) => fs.rmSync(path.join(dir, name), { force: true, recursive: true }),
    list: () => fs.readdirSync(dir),
  };
}

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

  constructor(private readonly files: SnapshotFiles) {}

  filePath(groupId: number, sequence: number): string {
    return this.files.path(snapshotFileName(groupId, sequence));
  }

  /** Makes later sequences start above `sequence` (recovery: above every one seen). */
  advancePast(sequence: number): void {
    this.nextSequence = Math.max(this.nextSequence, sequence + 1);
  }

  /** Writes the image durably under a new sequence and returns it; 0 (no file) for an empty image. */
  store(groupId: number, snapshot: Snapshot): number {
    if (snapshot.data.length === 0) return 0;
    const sequence = this.nextSequence++;
    this.files.write(snapshotFileName(groupId, sequence), snapshot);
    return sequence;
  }

  /** The snapshot a record names, its image read and checked against the record. */
  load(groupId: number, record: SnapshotRecord): Snapshot {
    const metadata = { index: record.index, term: record.term, confState: record.confState };
    if (record.fileSequence === 0) return { metadata, data: new Uint8Array(0) };
    const name = snapshotFileName(groupId, record.fileSequence);
    const filePath = this.files.path(name);
    if (!this.files.exists(name)) throw new RaftStorageCorruptError(filePath, "snapshot file missing");
    const stored = this.files.read(name, record.confState);
    if (stored.metadata.index !== record.index || stored.metadata.term !== record.term) {
      const found = `${stored.metadata.index}@${stored.metadata.term}`;
      const named = `${record.index}@${record.term}`;
      throw new RaftStorageCorruptError(filePath, `holds snapshot ${found}, the log names ${named}`);
    }
    return { metadata, data: stored.data };
  }

  exists(groupId: number, sequence: number): boolean {
    return this.files.exists(snapshotFileName(groupId, sequence));
  }

  /** Removes an image no record needs any more (a crash before this only leaves work for the next open). */
  remove(groupId: number, sequence: number): void {
    if (sequence !== 0) this.files.remove(snapshotFileName(groupId, sequence));
  }

  /**
   * Removes every file but the images `keep` names (`group-sequence`), leftovers of interrupted
   * writes included; advances the sequence past every file seen. Returns the files removed.
   */
  removeAllBut(keep: ReadonlySet<string>): string[] {
    const removed: string[] = [];
    for (const name of this.files.list()) {
      const parsed = parseSnapshotFileName(name);
      if (parsed !== null) {
        this.advancePast(parsed.sequence);
        if (keep.has(`${parsed.groupId}-${parsed.sequence}`)) continue;
      }
      this.files.remove(name);
      removed.push(name);
    }
    return removed;
  }
}
