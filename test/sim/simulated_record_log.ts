/**
 * The shared log's record log (src/cluster/wal/record_log.ts) on a simulated disk
 * (simulated_wal_disk.ts): what SegmentedLog does on files, done on the disk's segment files in
 * memory, with the same byte format and the same recovery checks, so the real shared log runs
 * on it in the deterministic simulator.
 *
 * - open(): the recovery scan of src/log/recovery.ts with damage `refuse`, on the real pure checks
 *   (checkSealedSegment, checkLastSegment, findRecordAfter): a torn tail in the newest segment is
 *   cut and reported in `recovery`; any other damage throws CorruptRecordError.
 * - appendWithoutWaiting() encodes records (src/log/record_format.ts) into the active segment's
 *   bytes; a full segment is rolled as SegmentedLog rolls it: written, synced and sealed, and the
 *   next one created durably.
 * - Group commit is driven by the world, as the event loop drives SegmentedLog's: flushed() queues
 *   one shared waiter per flush; the world's disk phase calls write() (the flush's one write
 *   call) and then sync() with an fdatasync latency it draws, on the process's simulated clock;
 *   the fdatasync completes when that clock passes it, making the write durable. Its waiters
 *   hear so when the process next runs (announceCompletions(), called by the world before the
 *   processes' loop turns): a power loss in between leaves the write durable and unheard of, and
 *   a dead process never resumes. While one runs, later appends gather for the next flush.
 *   sync() (explicit, from the process's own turn) and close() write and sync at once.
 * - crash() is the power loss of simulated_wal_disk.ts: the process is gone, its waiters never
 *   settle, and the disk keeps what its marks and the seeded tear say.
 *
 * Planted bug (`acknowledgeBeforeSync`, the simulator must catch it): a flush's waiters are
 * resolved at its write, before its fdatasync completes: the group commit bug that acknowledges
 * a persist a crash can still lose.
 */
import { CorruptRecordError, type RecoveryReport } from "../../src/log/types.ts";
import { OffsetTable } from "../../src/log/offset_table.ts";
import { checkLastSegment, checkSealedSegment } from "../../src/log/recovery.ts";
import {
  encodeRecord, encodeSegmentHeader, recordFrameBytes, recordHeaderBytes, recordPayloadLength, recordProblem,
  segmentFileName,
} from "../../src/log/record_format.ts";
import { findRecordAfter } from "../../src/log/segment_scan.ts";
import type { RecordLog, RecordLogStats } from "../../src/cluster/wal/record_log.ts";
import type { RandomSource } from "../../src/cluster/raft/random.ts";
import type { Clock, Timer } from "../../src/util/clock.ts";
import { type DiskFile, groupIdOffset, newDiskFile, reserve, type SimulatedWalDisk } from "./simulated_wal_disk.ts";

export interface RecordLogFaults {
  /** The planted group commit bug (see the head comment). */
  acknowledgeBeforeSync: boolean;
}

interface OpenSegment {
  file: DiskFile;
  offsets: OffsetTable;
}

interface Waiter {
  resolve: (location: number) => void;
  location: number;
}

/** A flush whose write is done and whose fdatasync runs: it covers `file` up to `through`. */
interface Flush {
  file: DiskFile;
  through: number;
  throughLocation: number;
  waiters: Waiter[];
  timer: Timer | null;
}

/** What a crash did to the newest segment's unsynced bytes. */
export interface CrashTear {
  /** Bytes written but not synced, and how many of them survived. */
  unsyncedBytes: number;
  keptBytes: number;
  /** Whether the cut fell inside a record (the next open cuts a torn tail). */
  torn: boolean;
  /** Records appended but never written (lost whatever the tear). */
  unwrittenRecords: number;
  /** Records lost in all: unwritten ones and written ones past the cut. */
  recordsLost: number;
  /** Groups whose records were among those lost. */
  groupsLosingRecords: number[];
}

/** Share of unsynced tears keeping nothing, then all, then a cut inside (the rest). */
const tearKeepsNothingShare = 0.35;
const tearKeepsAllShare = 0.3;
/** Share of torn cuts whose last (cut) record also gets a flipped byte: a corrupt tail. */
const tornRecordFlippedShare = 0.5;

export class SimulatedRecordLog implements RecordLog {
  private segments: OpenSegment[];
  private waiters: Waiter[] = [];
  private shared: { promise: Promise<number>; waiter: Waiter } | null = null;
  private flush: Flush | null = null;
  /** Waiters of completed fdatasyncs, until the process runs and hears of them. */
  private completed: Waiter[] = [];
  private dead = false;
  private readonly counters = { writeCount: 0, fdatasyncCount: 0, recordsAppended: 0, bytesWritten: 0 };

  private constructor(
    private readonly disk: SimulatedWalDisk,
    private readonly segmentSizeBytes: number,
    private readonly faults: RecordLogFaults,
    segments: OpenSegment[],
    readonly recovery: RecoveryReport,
  ) {
    this.segments = segments;
  }

  /** Opens the disk's log: the recovery scan (see the head comment); a new disk gets its first segment. */
  static open(disk: SimulatedWalDisk, segmentSizeBytes: number, faults: RecordLogFaults): SimulatedRecordLog {
    const report: RecoveryReport = {
      segmentsScanned: 0, recordsRecovered: 0, tornTail: null, corruptRecords: [], segmentsSetAside: [],
    };
    if (disk.files.length === 0) disk.files.push(newDiskFile(1, encodeSegmentHeader(1)));
    const segments: OpenSegment[] = [];
    for (let position = 0; position < disk.files.length; position++) {
      const file = disk.files[position];
      const next = disk.files[position + 1];
      report.segmentsScanned++;
      const offsets = next === undefined ? openLast(disk, file, report) : openSealed(disk, file, next.firstIndex);
      report.recordsRecovered += offsets.length;
      segments.push({ file, offsets });
    }
    return new SimulatedRecordLog(disk, segmentSizeBytes, faults, segments, report);
  }

  firstIndex(): number {
    return this.segments[0].file.firstIndex;
  }

  lastIndex(): number {
    const active = this.active();
    return active.file.firstIndex + active.offsets.length - 1;
  }

  read(location: number): Uint8Array {
    const segment = this.segmentHolding(location);
    const offset = segment.offsets.at(location - segment.file.firstIndex);
    const bytes = segment.file.data;
    const problem = recordProblem(bytes, offset, segment.file.appended, location);
    if (problem !== null) throw new CorruptRecordError(this.fileName(segment.file), offset, location, problem);
    const start = offset + recordHeaderBytes;
    return bytes.subarray(start, start + recordPayloadLength(bytes, offset));
  }

  appendWithoutWaiting(payloads: Uint8Array[]): number {
    this.checkAlive();
    for (const payload of payloads) {
      let active = this.active();
      const frame = recordFrameBytes(payload.length);
      if (active.offsets.length > 0 && active.file.appended + frame > this.segmentSizeBytes) active = this.roll();
      reserve(active.file, frame);
      const location = this.lastIndex() + 1;
      active.offsets.push(active.file.appended);
      active.file.appended = encodeRecord(active.file.data, active.file.appended, location, payload);
      this.counters.recordsAppended++;
    }
    return this.lastIndex();
  }

  flushed(): Promise<number> {
    if (this.dead) return new Promise(() => {});
    if (this.lastIndex() < this.firstIndex()) return Promise.resolve(this.lastIndex());
    if (this.shared !== null) {
      this.shared.waiter.location = this.lastIndex();
      return this.shared.promise;
    }
    const { promise, resolve } = Promise.withResolvers<number>();
    const waiter = { resolve, location: this.lastIndex() };
    this.waiters.push(waiter);
    this.shared = { promise, waiter };
    return promise;
  }

  /** Whether a flush is due: waiters queued and no fdatasync running. */
  wantsFlush(): boolean {
    return !this.dead && this.flush === null && this.waiters.length > 0;
  }

  /** Whether an fdatasync is running. */
  syncing(): boolean {
    return this.flush !== null;
  }

  /**
   * The flush's write: every appended byte reaches the file (page cache); its waiters go with it.
   * Returns how many groups the records written belong to (one write for all of them).
   */
  write(): number {
    this.checkAlive();
    if (this.flush !== null) throw new Error("a flush's write while an fdatasync runs");
    const active = this.active();
    const file = active.file;
    const groups = new Set<number>();
    for (let position = active.offsets.length - 1; position >= 0; position--) {
      const offset = active.offsets.at(position);
      if (offset < file.written) break;
      groups.add(groupOf(file, offset));
    }
    if (file.appended > file.written) {
      this.counters.writeCount++;
      this.counters.bytesWritten += file.appended - file.written;
      file.written = file.appended;
    }
    const waiters = this.takeWaiters();
    this.flush = { file, through: file.written, throughLocation: this.lastIndex(), waiters, timer: null };
    if (this.faults.acknowledgeBeforeSync) this.completed.push(...waiters);
    return groups.size;
  }

  /** The flush's fdatasync, done `latencyMs` from now on `clock` (at once for 0). */
  startSync(latencyMs: number, clock: Clock): void {
    const flush = this.flush;
    if (flush === null) throw new Error("an fdatasync without a write");
    if (latencyMs === 0) this.completeSync();
    else flush.timer = clock.after(latencyMs, () => this.completeSync());
  }

  /** The running process hears of the fdatasyncs completed since it last ran: their waiters resolve. */
  announceCompletions(): void {
    if (this.dead) return;
    const completed = this.completed;
    this.completed = [];
    settle(completed);
  }

  async sync(): Promise<void> {
    this.checkAlive();
    const file = this.active().file;
    this.counters.writeCount += file.appended > file.written ? 1 : 0;
    this.counters.bytesWritten += file.appended - file.written;
    file.written = file.appended;
    this.makeDurable(file, file.written);
    this.counters.fdatasyncCount++;
    // Waiters of a running fdatasync are settled by it (their records are durable already).
    settle(this.takeWaiters());
  }

  async compactPrefix(firstNeeded: number): Promise<void> {
    this.checkAlive();
    let removable = 0;
    const segments = this.segments;
    while (removable < segments.length - 1 && segments[removable + 1].file.firstIndex <= firstNeeded) removable++;
    if (removable === 0) return;
    this.segments = this.segments.slice(removable);
    this.disk.files = this.disk.files.slice(removable);
  }

  segmentSizes(): Array<{ firstIndex: number; sizeBytes: number }> {
    return this.segments.map((segment) => ({ firstIndex: segment.file.firstIndex, sizeBytes: segment.file.appended }));
  }

  sizeBytes(): number {
    return this.segments.reduce((total, segment) => total + segment.file.appended, 0);
  }

  stats(): RecordLogStats {
    return { ...this.counters, segmentCount: this.segments.length };
  }

  async close(): Promise<void> {
    if (!this.dead) await this.sync();
    this.dead = true;
  }

  /**
   * The node loses power (see simulated_wal_disk.ts): the newest segment keeps its synced bytes
   * and a seeded part of its written ones, whole records of which become durable; this process
   * is gone. Returns what the tear did.
   */
  crash(random: RandomSource): CrashTear {
    const active = this.active();
    const file = active.file;
    const unsynced = file.written - file.synced;
    const roll = random();
    let kept = 0;
    if (roll >= tearKeepsNothingShare + tearKeepsAllShare && unsynced > 1) {
      kept = 1 + Math.floor(random() * (unsynced - 1));
    } else if (roll >= tearKeepsNothingShare) {
      kept = unsynced;
    }
    const surviving = file.synced + kept;
    const positions = active.offsets.length;
    let wholeRecords = 0;
    while (wholeRecords < positions && recordEnd(file, active.offsets.at(wholeRecords)) <= surviving) wholeRecords++;
    const unwrittenRecords = countWhile(active.offsets, (offset) => offset >= file.written);
    const lostGroups = new Set<number>();
    for (let position = wholeRecords; position < positions; position++) {
      lostGroups.add(groupOf(file, active.offsets.at(position)));
    }
    const torn = wholeRecords < positions && active.offsets.at(wholeRecords) < surviving;
    // The whole records first: the flip may hit the cut record's length field, after which its
    // end could no longer be read from it.
    this.makeDurable(file, surviving);
    if (torn && random() < tornRecordFlippedShare) {
      const cut = active.offsets.at(wholeRecords);
      file.data[cut + Math.floor(random() * (surviving - cut))] ^= 0x5a;
    }
    file.written = surviving;
    file.appended = surviving;
    this.die();
    const recordsLost = positions - wholeRecords;
    const groupsLosingRecords = [...lostGroups].sort((left, right) => left - right);
    return { unsyncedBytes: unsynced, keptBytes: kept, torn, unwrittenRecords, recordsLost, groupsLosingRecords };
  }

  /** The process is gone without touching the disk further (its waiters never settle). */
  die(): void {
    this.dead = true;
    this.flush?.timer?.cancel();
    this.flush = null;
    this.waiters = [];
    this.completed = [];
    this.shared = null;
  }

  private completeSync(): void {
    const flush = this.flush;
    if (flush === null || this.dead) return;
    this.flush = null;
    this.makeDurable(flush.file, flush.through);
    this.counters.fdatasyncCount++;
    if (!this.faults.acknowledgeBeforeSync) this.completed.push(...flush.waiters);
  }

  /**
   * `file` is durable up to `through`: the whole records below it not durable before are shown
   * to the disk's durable model, in order. Older segments were made durable whole when they rolled.
   */
  private makeDurable(file: DiskFile, through: number): void {
    if (through <= file.synced) return;
    const segment = this.segments.find((candidate) => candidate.file === file);
    if (segment !== undefined) {
      for (let position = 0; position < segment.offsets.length; position++) {
        const offset = segment.offsets.at(position);
        const location = file.firstIndex + position;
        if (location <= this.disk.durable.lastLocation()) continue;
        if (recordEnd(file, offset) > through) break;
        const start = offset + recordHeaderBytes;
        this.disk.durable.apply(location, file.data.subarray(start, start + recordPayloadLength(file.data, offset)));
      }
    }
    file.synced = through;
  }

  /** Seals the full active segment (written and synced whole) and starts the next, durably. */
  private roll(): OpenSegment {
    const full = this.active().file;
    this.counters.writeCount += full.appended > full.written ? 1 : 0;
    this.counters.bytesWritten += full.appended - full.written;
    full.written = full.appended;
    this.makeDurable(full, full.written);
    this.counters.fdatasyncCount++;
    const firstIndex = this.lastIndex() + 1;
    const file = newDiskFile(firstIndex, encodeSegmentHeader(firstIndex));
    this.disk.files.push(file);
    const segment = { file, offsets: new OffsetTable() };
    this.segments.push(segment);
    return segment;
  }

  private takeWaiters(): Waiter[] {
    const taken = this.waiters;
    this.waiters = [];
    this.shared = null;
    return taken;
  }

  private active(): OpenSegment {
    return this.segments[this.segments.length - 1];
  }

  private segmentHolding(location: number): OpenSegment {
    for (let position = this.segments.length - 1; position >= 0; position--) {
      const segment = this.segments[position];
      if (segment.file.firstIndex <= location) {
        if (location - segment.file.firstIndex >= segment.offsets.length) break;
        return segment;
      }
    }
    throw new Error(`location ${location} outside [${this.firstIndex()}, ${this.lastIndex()}]`);
  }

  private fileName(file: DiskFile): string {
    return `${this.disk.name}:log/${segmentFileName(file.firstIndex)}`;
  }

  private checkAlive(): void {
    if (this.dead) throw new Error(`${this.disk.name}: the record log of a dead process was used`);
  }
}

/** A sealed segment: checked whole (any problem refuses the open); its record offsets. */
function openSealed(disk: SimulatedWalDisk, file: DiskFile, nextFirstIndex: number): OffsetTable {
  const named = { firstIndex: file.firstIndex, filePath: `${disk.name}:log/${segmentFileName(file.firstIndex)}` };
  const { scan, problems } = checkSealedSegment(named, nextFirstIndex, file.data.subarray(0, file.synced));
  if (problems.length > 0) throw corrupt(problems[0]);
  return scan.offsets;
}

/** The newest segment: checked, its torn tail cut (and reported) unless a valid record follows it. */
function openLast(disk: SimulatedWalDisk, file: DiskFile, report: RecoveryReport): OffsetTable {
  const named = { firstIndex: file.firstIndex, filePath: `${disk.name}:log/${segmentFileName(file.firstIndex)}` };
  const bytes = file.data.subarray(0, file.synced);
  const check = checkLastSegment(named, bytes);
  if (check.scan === null) throw corrupt(check.headerProblem);
  if (check.problems.length > 0) throw corrupt(check.problems[0]);
  const { scan, tornTail } = check;
  if (tornTail !== null) {
    const found = findRecordAfter(bytes, tornTail.offset, tornTail.index);
    const reason = `${tornTail.reason}; a valid record follows`;
    if (found !== null) throw new CorruptRecordError(named.filePath, tornTail.offset, tornTail.index, reason);
    report.tornTail = { file: named.filePath, offset: scan.validEndOffset, bytesCut: tornTail.bytes };
    file.synced = scan.validEndOffset;
    file.written = scan.validEndOffset;
    file.appended = scan.validEndOffset;
  }
  return scan.offsets;
}

function corrupt(problem: { file: string; offset: number; index: number | null; reason: string }): CorruptRecordError {
  return new CorruptRecordError(problem.file, problem.offset, problem.index, problem.reason);
}

function recordEnd(file: DiskFile, offset: number): number {
  return offset + recordFrameBytes(recordPayloadLength(file.data, offset));
}

function groupOf(file: DiskFile, offset: number): number {
  const at = offset + recordHeaderBytes + groupIdOffset;
  return new DataView(file.data.buffer, file.data.byteOffset + at, 4).getUint32(0, true);
}

function countWhile(offsets: OffsetTable, test: (offset: number) => boolean): number {
  let count = 0;
  for (let position = 0; position < offsets.length; position++) if (test(offsets.at(position))) count++;
  return count;
}

function settle(waiters: Waiter[]): void {
  for (const waiter of waiters) waiter.resolve(waiter.location);
}
