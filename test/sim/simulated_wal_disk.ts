/**
 * A node's simulated disk under the real shared log (src/cluster/wal/): the segment files of its
 * record log, byte for byte in the format of src/log/record_format.ts, and its snapshot files,
 * kept in memory across the crashes of the node's processes. Each segment file has three
 * marks: bytes below `synced` are durable (an fdatasync covered them), bytes below `written` are
 * in the page cache (written, not synced), bytes below `appended` are still in the process
 * (appended to the log's mirror, not written). Segment files and snapshot files are created,
 * sealed and removed durably at once, as src/log and snapshot_store.ts make them (atomic
 * creation, fdatasync, directory fsync).
 *
 * A crash (the process's SimulatedRecordLog.crash) is a power loss of the whole node: every
 * segment keeps its synced bytes, the newest one also a seeded prefix of what was written but not
 * synced (nothing, all of it, or a torn cut inside a record, sometimes with a flipped byte in the
 * cut record), and what was never written is gone. One log holds every group of the node, so
 * the unsynced tail of every group goes at once. The next process reads only what survived.
 *
 * `durable` follows, record by record, what the disk holds durably (durable_groups.ts): the
 * safety monitors' view of every group's persisted log, and what the next recovery must find.
 */
import type { ConfState, Snapshot } from "../../src/cluster/raft/types.ts";
import type { SnapshotFiles } from "../../src/cluster/wal/snapshot_store.ts";
import {
  encodeRecord, encodeSegmentHeader, recordFrameBytes, recordHeaderBytes, recordPayloadLength, segmentHeaderBytes,
} from "../../src/log/record_format.ts";
import { scanSegment } from "../../src/log/segment_scan.ts";
import { DurableGroups, type DurabilityObserver } from "./durable_groups.ts";

/** Payload offset of the group id in a shared-log record (wal_record_format.ts). */
export const groupIdOffset = 4;

/** One segment file; see the head comment for its marks. */
export interface DiskFile {
  firstIndex: number;
  /** The file's bytes, in a buffer with room to grow. */
  data: Uint8Array;
  synced: number;
  written: number;
  appended: number;
}

export class SimulatedWalDisk {
  /** Segment files, oldest first. */
  files: DiskFile[] = [];
  readonly snapshotFiles: MemorySnapshotFiles;
  readonly durable: DurableGroups;

  constructor(
    readonly name: string,
    observer: DurabilityObserver,
  ) {
    this.snapshotFiles = new MemorySnapshotFiles(name);
    this.durable = new DurableGroups(observer);
  }

  /** Bytes of every segment file as the disk holds them durably. */
  syncedBytes(): number {
    return this.files.reduce((total, file) => total + file.synced, 0);
  }
}

/** A new segment file holding `header`, durable at once (created atomically). */
export function newDiskFile(firstIndex: number, header: Uint8Array): DiskFile {
  const data = new Uint8Array(Math.max(1024, header.length * 2));
  data.set(header);
  return { firstIndex, data, synced: header.length, written: header.length, appended: header.length };
}

/** Makes room in `file` for `bytes` more appended bytes (the old buffer's views stay valid). */
export function reserve(file: DiskFile, bytes: number): void {
  if (file.appended + bytes <= file.data.length) return;
  const grown = new Uint8Array(Math.max(file.data.length * 2, file.appended + bytes));
  grown.set(file.data.subarray(0, file.appended));
  file.data = grown;
}

/**
 * Snapshot files in memory (src/cluster/wal/snapshot_store.ts, SnapshotFiles): a write is
 * atomic and durable at once, as the folder's is, and a removal too (the worse case: the
 * removed image is gone even if the record naming its successor is not durable).
 */
export class MemorySnapshotFiles implements SnapshotFiles {
  private readonly files = new Map<string, Snapshot>();

  constructor(private readonly diskName: string) {}

  path(name: string): string {
    return `${this.diskName}:snapshots/${name}`;
  }

  write(name: string, snapshot: Snapshot): void {
    const { index, term, confState } = snapshot.metadata;
    const metadata = { index, term, confState: { voters: [...confState.voters], learners: [...confState.learners] } };
    this.files.set(name, { metadata, data: snapshot.data.slice() });
  }

  read(name: string, _confState: ConfState): Snapshot {
    const stored = this.files.get(name);
    if (stored === undefined) throw new Error(`${this.path(name)}: no such file`);
    return stored;
  }

  exists(name: string): boolean {
    return this.files.has(name);
  }

  remove(name: string): void {
    this.files.delete(name);
  }

  list(): string[] {
    return [...this.files.keys()].sort();
  }
}

/**
 * The planted bug `recoveryDropsGroup`: the disk after a crash loses every record of the group
 * with the most records, the others renumbered in order into new segment files, as a recovery
 * that skipped that group's records would see them. Returns the group dropped (null: none held
 * a record) and the location of the last record kept.
 */
export function dropGroupRecords(
  disk: SimulatedWalDisk,
  segmentSizeBytes: number,
): { group: number | null; last: number } {
  const records: Uint8Array[] = [];
  const perGroup = new Map<number, number>();
  for (let position = 0; position < disk.files.length; position++) {
    const file = disk.files[position];
    const bytes = file.data.subarray(0, file.synced);
    const scan = scanSegment(bytes, file.firstIndex, position < disk.files.length - 1);
    for (let record = 0; record < scan.offsets.length; record++) {
      const offset = scan.offsets.at(record);
      const start = offset + recordHeaderBytes;
      const payload = bytes.slice(start, start + recordPayloadLength(bytes, offset));
      const group = new DataView(payload.buffer).getUint32(groupIdOffset, true);
      perGroup.set(group, (perGroup.get(group) ?? 0) + 1);
      records.push(payload);
    }
  }
  const firstIndex = disk.files[0]?.firstIndex ?? 1;
  const busiest = [...perGroup].sort((left, right) => right[1] - left[1] || left[0] - right[0])[0];
  if (busiest === undefined) return { group: null, last: firstIndex - 1 };
  const kept = records.filter((payload) => new DataView(payload.buffer).getUint32(groupIdOffset, true) !== busiest[0]);
  disk.files = [newDiskFile(firstIndex, encodeSegmentHeader(firstIndex))];
  let location = firstIndex;
  for (const payload of kept) {
    let file = disk.files[disk.files.length - 1];
    const frame = recordFrameBytes(payload.length);
    if (file.appended > segmentHeaderBytes && file.appended + frame > segmentSizeBytes) {
      file = newDiskFile(location, encodeSegmentHeader(location));
      disk.files.push(file);
    }
    reserve(file, frame);
    file.appended = encodeRecord(file.data, file.appended, location, payload);
    file.written = file.appended;
    file.synced = file.appended;
    location++;
  }
  return { group: busiest[0], last: location - 1 };
}
