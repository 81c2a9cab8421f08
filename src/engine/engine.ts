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
import { appendRecord, readValue, RecentRecords, type EngineState } from "./engine_state.ts";
import { EngineError } from "./errors.ts";
import { evaluateCommand, type StateView } from "./evaluate.ts";
import { MaintenanceLock } from "./maintenance_lock.ts";
import { newIndexEntry } from "./key_index.ts";
import { keyHash } from "./key_string.ts";
import { encodeRecord, OperationKind, RecordKind, type RecordOperation } from "./record_codec.ts";
import { recoverEngineState, type EngineRecoveryReport } from "./recovery.ts";
import { scanIndex } from "./scan.ts";
import { snapshotChunks } from "./snapshot.ts";
import { installSnapshotChunks, type InstallReport } from "./snapshot_install.ts";
import type { Command, CommandResult, EngineStats, Entry, ScanOptions, ScanPage } from "./types.ts";
import { validateCommand, validateKey, validateRaftIndex, validateScanOptions } from "./validation.ts";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";

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
}

export interface CheckpointReport {
  entries: number;
  coveredLogIndex: number;
  bytes: number;
  durationMilliseconds: number;
}

export class Engine {
  private readonly maintenance = new MaintenanceLock();
  private readonly inFlight = new Set<Promise<void>>();
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
    this.background = new BackgroundMaintenance(state, tasks, automatic.compaction, automatic.checkpointing, coveredAtOpen);
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
        dir: join(options.dir, "log"),
        fsync: options.fsync,
        batchDelayMs: options.batchDelayMs,
        segmentSizeBytes: options.segmentSizeBytes,
        onFsync: options.onFsync,
      }));
    const { state, report } = await recoverEngineState(log, options.dir);
    const engineState: EngineState = { log, index: state.index, revision: state.revision, raftIndex: state.raftIndex, failure: null, recentRecords: new RecentRecords() };
    const segmentSizeBytes = options.log === undefined ? (options.segmentSizeBytes ?? segmentSizeBytesDefault) : undefined;
    const automatic = BackgroundMaintenance.resolve({ ...options, segmentSizeBytes });
    return new Engine(engineState, options.dir, automatic, report);
  }

  /** Applies a command; resolves once its record is durable under the log's fsync mode. */
  async apply(command: Command, meta: { raftIndex?: number } = {}): Promise<CommandResult> {
    this.checkWritable();
    validateCommand(command);
    validateRaftIndex(meta.raftIndex, this.state.raftIndex);
    const evaluation = evaluateCommand(command, this.stateView);
    const raftIndex = meta.raftIndex ?? this.state.raftIndex;
    const { effects } = evaluation;
    if (effects.length === 0 && raftIndex === this.state.raftIndex) return evaluation.result(this.state.revision);
    const revision = effects.length > 0 ? this.state.revision + 1 : this.state.revision;
    const operations: RecordOperation[] = effects.map((effect) => ({
      operation: effect.value === null ? OperationKind.delete : OperationKind.set,
      key: effect.key,
      value: effect.value ?? emptyValue,
      version: revision,
    }));
    const { payload, valueOffsets } = encodeRecord({ kind: RecordKind.apply, revision, raftIndex }, operations);
    const { logIndex, durable } = appendRecord(this.state, payload);
    this.state.revision = revision;
    this.state.raftIndex = raftIndex;
    effects.forEach((effect, position) => {
      if (effect.value === null) this.state.index.delete(effect.keyString);
      else {
        const { keyString, key } = effect;
        const entry = newIndexEntry({ keyString, keyHash: keyHash(key), version: revision, logIndex, valueOffset: valueOffsets[position], valueLength: effect.value.length });
        this.state.index.set(entry);
      }
    });
    this.track(durable);
    this.background.afterApply();
    await durable;
    return evaluation.result(revision);
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
      await Promise.all(this.inFlight);
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
      await Promise.all(this.inFlight);
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

  /** Keeps pending appends so close() and installSnapshot() can wait for them. */
  private track(durable: Promise<void>): void {
    const settled = durable.catch(() => undefined);
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
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
