/**
 * Maintenance the engine starts by itself after writes: a checkpoint once enough records
 * followed the last one (bounds replay at the next open), and a compaction once garbage passes
 * a share of the log. Either runs in the background under the maintenance lock; a failure is
 * kept for stats and never thrown at the writer that happened to trigger it.
 */
import { errorText, silentLogger, type Logger } from "../util/logger.ts";
import type { EngineState } from "./engine_state.ts";
import {
  autoCheckpointRecordsMin,
  autoCompactionCheckEveryApplies,
  autoCompactionGarbageRatioMin,
  autoCompactionLogBytesMin,
} from "./limits.ts";

export interface AutoCompactionOptions {
  /** Compact when garbage exceeds this share of the log (0..1). */
  garbageRatioMin?: number;
  /**
   * ...and the log is at least this big. When the engine opens its own log, at least two
   * segments: compaction drops whole segments and never the one being written, so a smaller
   * log has nothing it could drop.
   */
  logBytesMin?: number;
}

export interface AutoCheckpointOptions {
  /** Checkpoint once this many log records follow the last checkpoint. */
  recordsMin?: number;
}

interface MaintenanceTasks {
  compact(): Promise<{ logBytesAfter: number }>;
  checkpoint(): Promise<{ coveredLogIndex: number }>;
}

/** Bytes an applied record costs beside its keys and values (headers, log framing): for the garbage estimate. */
const recordOverheadBytesEstimate = 64;

/** After a compaction, wait until the log grew by this factor before the next one: less gains little. */
const compactionRegrowthFactor = 1.5;

export class BackgroundMaintenance {
  private appliesSinceCheck = 0;
  private running: Promise<void> | null = null;
  private logBytesAfterLastCompaction = 0;
  private coveredByLastCheckpoint: number;
  /** The last background task's failure, if any. */
  lastError: Error | null = null;

  constructor(
    private readonly state: EngineState,
    private readonly tasks: MaintenanceTasks,
    private readonly compaction: Required<AutoCompactionOptions> | null,
    private readonly checkpointing: Required<AutoCheckpointOptions> | null,
    /** The last log index the checkpoint found at open covered (replay started after it). */
    coveredAtOpen: number,
    private readonly logger: Logger = silentLogger,
  ) {
    this.coveredByLastCheckpoint = coveredAtOpen;
  }

  static resolve(options: {
    autoCompaction?: AutoCompactionOptions | false;
    autoCheckpoint?: AutoCheckpointOptions | false;
    /** Segment size of the engine's own log; undefined for a log handed in. */
    segmentSizeBytes?: number;
  }): {
    compaction: Required<AutoCompactionOptions> | null;
    checkpointing: Required<AutoCheckpointOptions> | null;
  } {
    const compaction =
      options.autoCompaction === false
        ? null
        : {
            garbageRatioMin: options.autoCompaction?.garbageRatioMin ?? autoCompactionGarbageRatioMin,
            logBytesMin: Math.max(options.autoCompaction?.logBytesMin ?? autoCompactionLogBytesMin, 2 * (options.segmentSizeBytes ?? 0)),
          };
    const checkpointing = options.autoCheckpoint === false ? null : { recordsMin: options.autoCheckpoint?.recordsMin ?? autoCheckpointRecordsMin };
    return { compaction, checkpointing };
  }

  /** Called after each apply; cheap except every autoCompactionCheckEveryApplies calls. */
  afterApply(): void {
    if (this.running !== null || ++this.appliesSinceCheck < autoCompactionCheckEveryApplies) return;
    this.appliesSinceCheck = 0;
    if (this.compactionDue()) this.start("compaction", async () => {
      this.logBytesAfterLastCompaction = (await this.tasks.compact()).logBytesAfter;
      this.logger.debug("compaction done", { log_bytes: this.logBytesAfterLastCompaction });
    });
    else if (this.checkpointDue()) this.start("checkpoint", async () => {
      const coveredLogIndex = (await this.tasks.checkpoint()).coveredLogIndex;
      this.noteCheckpoint(coveredLogIndex);
      this.logger.debug("checkpoint written", { covered_log_index: coveredLogIndex });
    });
  }

  /** Records that a checkpoint (by anyone) covered the log up to `coveredLogIndex`. */
  noteCheckpoint(coveredLogIndex: number): void {
    this.coveredByLastCheckpoint = Math.max(this.coveredByLastCheckpoint, coveredLogIndex);
  }

  /** Resolves once the running background task, if any, has finished. */
  async idle(): Promise<void> {
    await this.running;
  }

  private compactionDue(): boolean {
    if (this.compaction === null) return false;
    const logBytes = this.state.log.sizeBytes();
    if (logBytes < this.compaction.logBytesMin || logBytes < this.logBytesAfterLastCompaction * compactionRegrowthFactor) return false;
    const index = this.state.index;
    const liveBytes = index.liveValueBytes() + index.keyBytes() + index.size * recordOverheadBytesEstimate;
    return 1 - liveBytes / logBytes >= this.compaction.garbageRatioMin;
  }

  private checkpointDue(): boolean {
    return this.checkpointing !== null && this.state.log.lastIndex() - this.coveredByLastCheckpoint >= this.checkpointing.recordsMin;
  }

  private start(what: string, task: () => Promise<void>): void {
    this.running = task()
      .catch((error: unknown) => {
        this.lastError = error instanceof Error ? error : new Error(String(error));
        this.logger.warn(`background ${what} failed; it is tried again later`, { error: errorText(error) });
      })
      .finally(() => {
        this.running = null;
      });
  }
}
