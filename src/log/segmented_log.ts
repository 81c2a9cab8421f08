/**
 * SegmentedLog: the AppendLog of FileStore. Records live in segment files of bounded size
 * (format in record_format.ts); appends are made durable by group commit (group_commit.ts);
 * sealed segments are read through Bun.mmap, the active one from its in-memory mirror
 * (segment.ts); open runs the recovery scan (recovery.ts).
 *
 * Crash behaviour of each operation: append is durable when its promise resolves. Segment
 * files appear atomically (temporary name, fdatasync, rename, directory fsync). truncateSuffix
 * removes later segments newest first, then cuts (or rewrites) the segment holding the cut;
 * compactPrefix removes oldest first; resetTo removes every segment newest first and then
 * creates the new one. A crash inside any of them leaves a log that is a prefix of the old one
 * (resetTo: possibly empty, restarting at index 1); each is durable once it returns.
 */
import path from "node:path";
import { assert } from "../util/assert.ts";
import { type AppendLog, CorruptRecordError, IndexOutOfRangeError, type LogOptions, type RecoveryReport } from "./types.ts";
import { LogClosedError, LogWriteError, RecordTooLargeError } from "./errors.ts";
import { appendPayloadsPerCallMax, recordPayloadBytesMax } from "./constants.ts";
import { type ResolvedLogOptions, resolveLogOptions } from "./log_options.ts";
import { GroupCommit } from "./group_commit.ts";
import { createActiveSegment, recoverLog } from "./recovery.ts";
import { logRecovery } from "./recovery_log.ts";
import { Segment } from "./segment.ts";
import { OffsetTable } from "./offset_table.ts";
import { isValidRecordIndex, segmentFileName } from "./record_format.ts";
import { removeFiles, writeSegmentFileAtomically } from "./segment_files.ts";

interface LogStats {
  /** fdatasync calls on segment files for appends and sync() (group commits). */
  fdatasyncCount: number;
  /** write calls that carried appended records (one per flush of the active segment). */
  writeCount: number;
  appendCalls: number;
  recordsAppended: number;
  bytesWritten: number;
  segmentCount: number;
  segmentsRolled: number;
}

export class SegmentedLog implements AppendLog {
  private segments: Segment[];
  private readonly groupCommit: GroupCommit;
  private failure: LogWriteError | null = null;
  private closed = false;
  private readonly counters = { fdatasyncCount: 0, writeCount: 0, appendCalls: 0, recordsAppended: 0, bytesWritten: 0, segmentsRolled: 0 };

  private constructor(
    private readonly options: ResolvedLogOptions,
    segments: Segment[],
    readonly recovery: RecoveryReport,
  ) {
    assert(segments.length > 0 && segments[segments.length - 1].isActive(), "a log needs an active last segment");
    this.segments = segments;
    this.groupCommit = new GroupCommit(options.fsync, options.batchDelayMs, {
      write: () => this.writeToDisk(),
      syncNow: () => this.syncToDisk(),
      syncInBackground: (done) => this.syncToDiskInBackground(done),
    }, options.backgroundSyncRecordsMin);
  }

  static async open(options: LogOptions): Promise<SegmentedLog> {
    const resolved = resolveLogOptions(options);
    const { segments, report } = recoverLog(resolved.dir, resolved.fsync !== "unsafe-no-fsync", resolved.refuseDamage);
    if (options.logger !== undefined) logRecovery(options.logger, resolved.dir, report);
    return new SegmentedLog(resolved, segments, report);
  }

  firstIndex(): number {
    return this.segments[0].firstIndex;
  }

  lastIndex(): number {
    return this.activeSegment().lastIndex();
  }

  stats(): LogStats {
    return { ...this.counters, segmentCount: this.segments.length };
  }

  append(payloads: Uint8Array[]): Promise<number> {
    try {
      this.appendRecords(payloads);
    } catch (error) {
      return Promise.reject(error);
    }
    if (payloads.length === 0) return Promise.resolve(this.lastIndex());
    return this.groupCommit.enqueue(this.lastIndex());
  }

  /**
   * Appends as append() does, but neither waits for nor schedules a flush: the records reach the
   * disk with the next flush (another append's group commit, sync() or close()). Returns the index
   * of the last one. For records whose loss in a crash is harmless and that must not cost an
   * fdatasync of their own (a Raft commit index alone: volatile state in Raft).
   */
  appendWithoutWaiting(payloads: Uint8Array[]): number {
    this.appendRecords(payloads);
    return this.lastIndex();
  }

  /**
   * Resolves once everything appended so far is durable under the fsync mode (made so by the
   * next flush). Calls before that flush share one promise and one waiter: a caller appending
   * with appendWithoutWaiting from many places in one turn pays for one wait, not one each.
   */
  flushed(): Promise<number> {
    try {
      this.checkWritable();
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.lastIndex() < this.firstIndex()) return Promise.resolve(this.lastIndex());
    return this.groupCommit.enqueueShared(this.lastIndex());
  }

  /** First index and size in bytes of every segment, oldest first; the last is the active one. */
  segmentSizes(): Array<{ firstIndex: number; sizeBytes: number }> {
    return this.segments.map((segment) => ({ firstIndex: segment.firstIndex, sizeBytes: segment.sizeBytes() }));
  }

  read(index: number): Uint8Array {
    this.checkOpen();
    if (!Number.isSafeInteger(index) || index < this.firstIndex() || index > this.lastIndex()) {
      throw new IndexOutOfRangeError(`index ${index} outside [${this.firstIndex()}, ${this.lastIndex()}]`);
    }
    return this.segmentHolding(index).read(index);
  }

  *readRange(from: number, toInclusive: number): Iterable<{ index: number; payload: Uint8Array }> {
    if (toInclusive < from) return;
    this.read(from);
    this.read(toInclusive);
    for (let index = from; index <= toInclusive; index += 1) yield { index, payload: this.read(index) };
  }

  async truncateSuffix(lastKept: number): Promise<void> {
    this.checkWritable();
    if (!Number.isSafeInteger(lastKept) || lastKept < this.firstIndex() - 1) {
      throw new IndexOutOfRangeError(`cannot keep up to ${lastKept}: the log starts at ${this.firstIndex()}`);
    }
    if (lastKept >= this.lastIndex()) return;
    this.groupCommit.flushNow();
    const holder = this.segmentHolding(lastKept + 1);
    const holderPosition = this.segments.indexOf(holder);
    const keepCount = lastKept + 1 - holder.firstIndex;
    if (keepCount > holder.offsets.length) {
      throw new CorruptRecordError(holder.filePath, holder.unreadable?.offset ?? 0, lastKept, "cannot cut the log inside unreadable records");
    }
    this.guardIo(() => {
      this.removeSegmentsAfter(holderPosition);
      this.truncateActiveOrRewrite(keepCount);
    });
  }

  async compactPrefix(firstNeeded: number): Promise<void> {
    this.checkWritable();
    let removable = 0;
    while (removable < this.segments.length - 1 && this.segments[removable + 1].firstIndex <= firstNeeded) removable += 1;
    if (removable === 0) return;
    const removed = this.segments.slice(0, removable);
    this.guardIo(() => removeFiles(this.options.dir, removed.map((segment) => segment.filePath), this.isDurable()));
    this.segments = this.segments.slice(removable);
  }

  async resetTo(nextIndex: number): Promise<void> {
    this.checkWritable();
    if (!isValidRecordIndex(nextIndex)) throw new IndexOutOfRangeError(`cannot reset to index ${nextIndex}`);
    this.groupCommit.flushNow();
    this.guardIo(() => {
      this.activeSegment().closeFile();
      const sameName = path.join(this.options.dir, segmentFileName(nextIndex));
      const removed = this.segments.map((segment) => segment.filePath).filter((filePath) => filePath !== sameName);
      removeFiles(this.options.dir, removed.reverse(), this.isDurable());
      this.segments = [createActiveSegment(this.options.dir, nextIndex, this.isDurable())];
    });
  }

  async sync(): Promise<void> {
    this.checkWritable();
    this.groupCommit.flushNow();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.failure === null) this.groupCommit.flushNow();
    } finally {
      this.closed = true;
      this.activeSegment().closeFile();
    }
  }

  sizeBytes(): number {
    let total = 0;
    for (const segment of this.segments) total += segment.sizeBytes();
    return total;
  }

  /** Adds the records to the active segment (rolling over when full); visible to reads at once. */
  private appendRecords(payloads: Uint8Array[]): void {
    this.checkWritable();
    checkPayloads(payloads);
    for (const payload of payloads) {
      if (!this.activeSegment().fits(payload.length, this.options.segmentSizeBytes)) this.rollSegment();
      this.activeSegment().appendRecord(payload);
    }
    if (payloads.length === 0) return;
    this.counters.appendCalls += 1;
    this.counters.recordsAppended += payloads.length;
  }

  private activeSegment(): Segment {
    return this.segments[this.segments.length - 1];
  }

  private isDurable(): boolean {
    return this.options.fsync !== "unsafe-no-fsync";
  }

  /** The segment whose index range holds `index`, by binary search on first indexes. */
  private segmentHolding(index: number): Segment {
    let low = 0;
    let high = this.segments.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.segments[middle].firstIndex <= index) low = middle;
      else high = middle - 1;
    }
    const segment = this.segments[low];
    assert(index >= segment.firstIndex && index <= segment.lastIndex(), "index outside every segment");
    return segment;
  }

  /** Writes pending records of the active segment to its file. */
  private writeToDisk(): void {
    // Inline try/catch rather than guardIo: this runs on every flush, a closure each time adds up.
    try {
      const bytesWritten = this.activeSegment().writePending();
      if (bytesWritten > 0) {
        this.counters.writeCount += 1;
        this.counters.bytesWritten += bytesWritten;
      }
    } catch (error) {
      throw this.ioFailed(error);
    }
  }

  /** fdatasync of the active segment on this thread. */
  private syncToDisk(): void {
    try {
      const startedNanoseconds = Bun.nanoseconds();
      this.activeSegment().fdatasync();
      this.countFsync(startedNanoseconds);
    } catch (error) {
      throw this.ioFailed(error);
    }
  }

  /** fdatasync of the active segment in the thread pool; a failure fails the log as guardIo does. */
  private syncToDiskInBackground(done: (failure: unknown | null) => void): void {
    const startedNanoseconds = Bun.nanoseconds();
    this.activeSegment().fdatasyncInBackground((error) => {
      if (error === null) {
        this.countFsync(startedNanoseconds);
        done(null);
        return;
      }
      this.failure ??= new LogWriteError(`log I/O failed; reopen the log: ${String(error)}`, error);
      this.groupCommit.failAll(this.failure);
      done(this.failure);
    });
  }

  private countFsync(startedNanoseconds: number): void {
    this.counters.fdatasyncCount += 1;
    this.options.onFsync?.((Bun.nanoseconds() - startedNanoseconds) / 1e9);
  }

  /** Seals the full active segment (its records written and synced) and starts the next one. */
  private rollSegment(): void {
    this.guardIo(() => {
      const full = this.activeSegment();
      const bytesWritten = full.writePending();
      this.counters.bytesWritten += bytesWritten;
      if (bytesWritten > 0) this.counters.writeCount += 1;
      if (this.isDurable()) full.fdatasync();
      full.seal();
      this.segments.push(createActiveSegment(this.options.dir, full.lastIndex() + 1, this.isDurable()));
      this.counters.segmentsRolled += 1;
    });
  }

  private removeSegmentsAfter(position: number): void {
    const removed = this.segments.slice(position + 1);
    if (removed.length === 0) return;
    this.activeSegment().closeFile();
    removeFiles(this.options.dir, removed.map((segment) => segment.filePath).reverse(), this.isDurable());
    this.segments = this.segments.slice(0, position + 1);
  }

  /** Keeps `keepCount` records of the now-last segment, rewriting it when it was sealed (mapped). */
  private truncateActiveOrRewrite(keepCount: number): void {
    const last = this.activeSegment();
    assert(keepCount <= last.offsets.length, "cut inside unreadable records");
    if (last.isActive()) {
      last.truncateActive(keepCount, this.isDurable());
      return;
    }
    // A mapped file must not shrink under its mapping (reads of a view would fault): write the
    // kept prefix to a new file and rename it over; the old mapping keeps the old inode alive.
    const keptBytes = last.contents(last.offsetOfPosition(keepCount)).slice();
    const fd = writeSegmentFileAtomically(this.options.dir, last.firstIndex, keptBytes, this.isDurable());
    const offsets = new OffsetTable();
    for (let position = 0; position < keepCount; position += 1) offsets.push(last.offsets.at(position));
    this.segments[this.segments.length - 1] = new Segment(last.firstIndex, last.filePath, keptBytes, keptBytes.length, offsets, fd);
  }

  /** Runs file-system work; an I/O failure fails the log for good, since the disk state is unknown. */
  private guardIo(work: () => void): void {
    try {
      work();
    } catch (error) {
      throw this.ioFailed(error);
    }
  }

  /** The error to throw for a failed file-system step: the log fails for good, except on a corrupt record. */
  private ioFailed(error: unknown): unknown {
    if (error instanceof CorruptRecordError) return error;
    this.failure = new LogWriteError(`log I/O failed; reopen the log: ${String(error)}`, error);
    this.groupCommit.failAll(this.failure);
    return this.failure;
  }

  private checkOpen(): void {
    if (this.closed) throw new LogClosedError("log is closed");
  }

  private checkWritable(): void {
    this.checkOpen();
    if (this.failure !== null) throw this.failure;
  }
}

function checkPayloads(payloads: Uint8Array[]): void {
  if (payloads.length > appendPayloadsPerCallMax) {
    throw new RecordTooLargeError(`${payloads.length} payloads in one append; at most ${appendPayloadsPerCallMax}`);
  }
  for (const payload of payloads) {
    if (!(payload instanceof Uint8Array)) throw new TypeError("payload must be a Uint8Array");
    if (payload.length > recordPayloadBytesMax) {
      throw new RecordTooLargeError(`payload of ${payload.length} bytes; at most ${recordPayloadBytesMax}`);
    }
  }
}
