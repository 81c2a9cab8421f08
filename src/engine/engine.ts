/**
 * Engine: FileStore's storage engine and state machine. Writes are applied to the in-memory
 * key index and appended to the log as compact binary records (record_codec.ts); reads are
 * served from the index, values as views into the log's data. A checkpoint bounds the replay
 * at open; compaction reclaims overwritten values; snapshots export and replace the state.
 *
 * Visibility: a write is visible to get()/scan() as soon as apply() has evaluated it, before
 * it is durable; apply() resolves only once it is durable under the fsync mode. Commands are
 * evaluated in call order, so concurrent applies see each other like a serial history while
 * their appends share the log's group commit.
 */
import { segmentSizeBytesDefault } from "../log/constants.ts";
import { SegmentedLog } from "../log/segmented_log.ts";
import type { AppendLog, FsyncMode } from "../log/types.ts";
import { encodeCheckpoint, writeCheckpointFile } from "./checkpoint.ts";
import { compactLog, type CompactionReport } from "./compaction.ts";
import { BackgroundMaintenance, type AutoCheckpointOptions, type AutoCompactionOptions } from "./background_maintenance.ts";
import { appendFailure, checkAppendedIndex, readValue, RecentRecords, startAppend, type EngineState } from "./engine_state.ts";
import { EngineError } from "./errors.ts";
import { evaluateCommand, evaluationResult, type Evaluation, type StateView } from "./evaluate.ts";
import { MaintenanceLock } from "./maintenance_lock.ts";
import { newIndexEntry } from "./key_index.ts";
import { keyHash } from "./key_string.ts";
import { encodeRecord, OperationKind, RecordKind, type RecordOperation } from "./record_codec.ts";
import { logEngineRecovery, recoverEngineState, type EngineRecoveryReport } from "./recovery.ts";
import { scanIndex } from "./scan.ts";
import { snapshotChunks } from "./snapshot.ts";
import { installSnapshotChunks, type InstallReport } from "./snapshot_install.ts";
import type { Command, CommandResult, EngineStats, Entry, FoundValue, ScanOptions, ScanPage } from "./types.ts";
import { validateCommand, validateKey, validateKeyLength, validateRaftIndex, validateScanOptions } from "./validation.ts";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { InFlightCount } from "../util/in_flight_count.ts";
import { silentLogger, type Logger } from "../util/logger.ts";

/** The engine's log segments live in this folder inside the engine's folder. */
export const engineLogFolderName = "log";

export interface EngineOptions {
  /** Folder of the engine: its log in `log/`, its checkpoint beside it. Created when missing. */
  dir: string;
  /** The log's fsync mode (default `always`). */
  fsync?: FsyncMode;
  batchDelayMs?: number;
  segmentSizeBytes?: number;
  onFsync?: (durationSeconds: number) => void;
  /** A log to use instead of a SegmentedLog in `dir/log` (tests, or a log shared with Raft). */
  log?: AppendLog;
  /** Background compaction by garbage ratio; on by default, `false` turns it off. */
  autoCompaction?: AutoCompactionOptions | false;
  /** Background checkpoint every so many log records; on by default, `false` turns it off. */
  autoCheckpoint?: AutoCheckpointOptions | false;
  /** Where open() reports its recovery and background maintenance its failures; silent when absent. */
  logger?: Logger;
}

interface CheckpointReport {
  entries: number;
  coveredLogIndex: number;
  bytes: number;
  durationMilliseconds: number;
}

export class Engine {
  private readonly maintenance = new MaintenanceLock();
  /** Applies whose append is not durable yet: close() and installSnapshot() wait for them. */
  private readonly writesInFlight = new InFlightCount();
  private closing = false;
  private installing = false;
  private readonly stateView: StateView;
  private readonly background: BackgroundMaintenance;

  private constructor(
    private readonly state: EngineState,
    private readonly directory: string,
    automatic: ReturnType<typeof BackgroundMaintenance.resolve>,
    /** What open() found: checkpoint used or not, records replayed, time taken. */
    readonly recovery: EngineRecoveryReport,
    logger: Logger,
  ) {
    this.stateView = {
      valueOf: (key) => {
        const entry = this.state.index.get(key);
        return entry === undefined ? null : readValue(this.state, entry);
      },
      versionOf: (key) => this.state.index.get(key)?.version ?? 0,
    };
    const tasks = { compact: () => this.compact(), checkpoint: () => this.checkpoint() };
    const coveredAtOpen = state.log.lastIndex() - recovery.recordsReplayed;
    const { compaction, checkpointing } = automatic;
    this.background = new BackgroundMaintenance(state, tasks, compaction, checkpointing, coveredAtOpen, logger);
  }

  /** The last failure of a background compaction or checkpoint, if any (never thrown at a caller). */
  get lastBackgroundError(): Error | null {
    return this.background.lastError;
  }

  static async open(options: EngineOptions): Promise<Engine> {
    await mkdir(options.dir, { recursive: true });
    const log =
      options.log ??
      (await SegmentedLog.open({
        dir: join(options.dir, engineLogFolderName),
        fsync: options.fsync,
        batchDelayMs: options.batchDelayMs,
        segmentSizeBytes: options.segmentSizeBytes,
        onFsync: options.onFsync,
        logger: options.logger,
      }));
    const { state, report } = await recoverEngineState(log, options.dir);
    const logger = options.logger ?? silentLogger;
    logEngineRecovery(logger, options.dir, report, state.index.size);
    const engineState: EngineState = { log, index: state.index, revision: state.revision, raftIndex: state.raftIndex, failure: null, recentRecords: new RecentRecords() };
    const segmentSizeBytes = options.log === undefined ? (options.segmentSizeBytes ?? segmentSizeBytesDefault) : undefined;
    const automatic = BackgroundMaintenance.resolve({ ...options, segmentSizeBytes });
    return new Engine(engineState, options.dir, automatic, report, logger);
  }

  /**
   * Applies a command; resolves once its record is durable under the log's fsync mode.
   * This runs for every write, so it allocates little: the work is done in writeNow (not
   * async: inside an async function every block scope becomes a heap object), and the one
   * promise awaited is the log's.
   */
  async apply(command: Command, meta?: { raftIndex?: number }): Promise<CommandResult> {
    const write = this.writeNow(command, meta?.raftIndex);
    if (write.appended === null) return evaluationResult(write.evaluation, write.revision);
    this.writesInFlight.begin();
    let lastIndex: number;
    try {
      lastIndex = await write.appended;
    } catch (error) {
      throw appendFailure(this.state, error);
    } finally {
      this.writesInFlight.end();
    }
    checkAppendedIndex(lastIndex, write.logIndex);
    return evaluationResult(write.evaluation, write.revision);
  }

  /** Evaluates a command, appends its record and updates the index; `appended` is null when nothing is written. */
  private writeNow(command: Command, givenRaftIndex: number | undefined): PendingWrite {
    this.checkWritable();
    validateCommand(command);
    validateRaftIndex(givenRaftIndex, this.state.raftIndex);
    const evaluation = evaluateCommand(command, this.stateView);
    const raftIndex = givenRaftIndex ?? this.state.raftIndex;
    const { effects } = evaluation;
    if (effects.length === 0 && raftIndex === this.state.raftIndex) return { evaluation, revision: this.state.revision, appended: null, logIndex: 0 };
    const revision = effects.length > 0 ? this.state.revision + 1 : this.state.revision;
    const operations: RecordOperation[] = [];
    for (const effect of effects) {
      operations.push({
        operation: effect.value === null ? OperationKind.delete : OperationKind.set,
        key: effect.key,
        value: effect.value ?? emptyValue,
        version: revision,
      });
    }
    const { payload, valueOffsets } = encodeRecord({ kind: RecordKind.apply, revision, raftIndex }, operations);
    const appended = startAppend(this.state, payload);
    const logIndex = this.state.log.lastIndex();
    this.state.revision = revision;
    this.state.raftIndex = raftIndex;
    for (let position = 0; position < effects.length; position++) {
      const { keyString, key, value } = effects[position]!;
      if (value === null) this.state.index.delete(keyString);
      else {
        this.state.index.set(newIndexEntry({ keyString, keyHash: keyHash(key), version: revision, logIndex, valueOffset: valueOffsets[position], valueLength: value.length }));
      }
    }
    this.background.afterApply();
    return { evaluation, revision, appended, logIndex };
  }

  /**
   * The live entry of a key, or null. The entry's key is the `key` passed in; its value is a
   * view into the log's data: treat it as read-only and copy it to keep it.
   */
  get(key: Uint8Array): Entry | null {
    this.checkReadable();
    validateKey(key);
    const entry = this.state.index.get(key);
    if (entry === undefined) return null;
    return { key, value: readValue(this.state, entry), version: entry.version };
  }

  /**
   * get() of the key held in bytes[start, end), without a view of it (the server's get path,
   * for a key inside a receive buffer). The value is as get()'s.
   */
  getAt(bytes: Uint8Array, start: number, end: number): FoundValue | null {
    this.checkReadable();
    validateKeyLength(end - start);
    const entry = this.state.index.getAt(bytes, start, end);
    if (entry === undefined) return null;
    return { value: readValue(this.state, entry), version: entry.version };
  }

  /** One page of live entries in bytewise key order (see ScanOptions). */
  scan(options: ScanOptions): ScanPage {
    this.checkReadable();
    const limit = validateScanOptions(options);
    return scanIndex(this.state.index, options, limit, (entry) => readValue(this.state, entry));
  }

  revision(): number {
    return this.state.revision;
  }

  /** The last meta.raftIndex applied; after a restart, the last one whose record was durable. */
  appliedRaftIndex(): number {
    return this.state.raftIndex;
  }

  stats(): EngineStats {
    return {
      keys: this.state.index.size,
      revision: this.state.revision,
      logBytes: this.state.log.sizeBytes(),
      liveValueBytes: this.state.index.liveValueBytes(),
      indexBytesEstimate: this.state.index.bytesEstimate(),
    };
  }

  /** Writes a checkpoint of the current state so the next open replays only what follows. */
  checkpoint(): Promise<CheckpointReport> {
    this.checkWritable();
    return this.maintenance.run(() => this.writeCheckpoint());
  }

  /** Reclaims the space of overwritten and deleted values (see compaction.ts). */
  compact(): Promise<CompactionReport> {
    this.checkWritable();
    return this.maintenance.run(() => this.runCompaction());
  }

  /** Streams the whole state as checksummed chunks (snapshot.ts). Holds off compaction until done. */
  async *exportSnapshot(): AsyncGenerator<Uint8Array> {
    this.checkReadable();
    const release = await this.maintenance.acquire();
    try {
      const picture = { revision: this.state.revision, raftIndex: this.state.raftIndex, entries: this.state.index.orderedClone() };
      yield* snapshotChunks(picture, (entry) => readValue(this.state, entry));
    } finally {
      release();
    }
  }

  /** Replaces the whole state with a snapshot stream; applies are refused meanwhile. */
  async installSnapshot(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<InstallReport> {
    this.checkWritable();
    const release = await this.maintenance.acquire();
    this.installing = true;
    try {
      await this.writesInFlight.idle();
      return await installSnapshotChunks(this.state, chunks, async () => {
        await this.writeCheckpoint();
      });
    } finally {
      this.installing = false;
      release();
    }
  }

  /** Waits for pending writes and maintenance, then closes the log (which syncs it). */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.maintenance.run(async () => {
      await this.writesInFlight.idle();
      await this.state.log.close();
    });
  }

  private async writeCheckpoint(): Promise<CheckpointReport> {
    const started = performance.now();
    const picture = {
      revision: this.state.revision,
      raftIndex: this.state.raftIndex,
      coveredLogIndex: this.state.log.lastIndex(),
      entries: this.state.index.orderedClone(),
    };
    await this.state.log.sync();
    const parts = await encodeCheckpoint(picture);
    await writeCheckpointFile(this.directory, parts);
    this.background.noteCheckpoint(picture.coveredLogIndex);
    const bytes = parts.reduce((total, part) => total + part.length, 0);
    return { entries: picture.entries.size, coveredLogIndex: picture.coveredLogIndex, bytes, durationMilliseconds: performance.now() - started };
  }

  private runCompaction(): Promise<CompactionReport> {
    return compactLog(this.state, {
      shouldStop: () => this.closing,
      writeCheckpoint: async () => {
        await this.writeCheckpoint();
      },
    });
  }

  private checkReadable(): void {
    if (this.closing) throw new EngineError("UNAVAILABLE", "engine is closed");
  }

  private checkWritable(): void {
    this.checkReadable();
    if (this.installing) throw new EngineError("UNAVAILABLE", "a snapshot is being installed");
    if (this.state.failure !== null) throw new EngineError("UNAVAILABLE", `log failed: ${this.state.failure.message}`);
  }
}

const emptyValue = new Uint8Array(0);

/** A write evaluated and appended, waiting for its record to be durable. */
interface PendingWrite {
  evaluation: Evaluation;
  /** The revision the caller is told. */
  revision: number;
  /** The log's promise for the record; null when the command wrote nothing. */
  appended: Promise<number> | null;
  logIndex: number;
}
