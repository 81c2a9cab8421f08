/**
 * Shared-log scenarios as transcripts (test/sim/transcripts/*.txt), in the format of the Raft
 * transcripts (test/raft/transcript_runner.ts: a command, `----`, the expected output, a blank
 * line; `#` comments; REWRITE_TRANSCRIPTS=1 rewrites the expected output). Each runs the real
 * shared log (src/cluster/wal/) of one node on the simulator's disk (simulated_wal_disk.ts,
 * simulated_record_log.ts), whose group commit the commands drive step by step.
 *
 * Commands:
 *   open                                  a new process opens the shared log from the disk alone
 *                                         (the real recovery); prints what it found
 *   group <g>                             opens group g's view (voters 1,2,3); a new group's first
 *                                         record is flushed at once
 *   persist <g> <first>..<last> term=<t> [vote=<v>] [commit=<c>]
 *                                         group g persists those entries with that hard state; the
 *                                         records are appended, not yet written
 *   write                                 the flush's one write: every record appended since
 *   sync <ms>                             its one fdatasync, done <ms> from now on the clock
 *   advance <ms>                          moves the process's clock; prints the persists resolved
 *   crash nothing | all | torn <fraction> [flip]
 *                                         power loss: keeps none, all, or <fraction> of the bytes
 *                                         written but not synced (a torn cut; `flip` also corrupts
 *                                         a byte of the cut record); prints what was lost
 *   state <g>                             the group as its storage shows it
 */
import { hardState as makeHardState, entriesOf } from "../cluster/storage/helpers.ts";
import type { GroupStorage } from "../../src/cluster/wal/group_storage.ts";
import { SharedLog } from "../../src/cluster/wal/shared_log.ts";
import { SnapshotStore } from "../../src/cluster/wal/snapshot_store.ts";
import { SimulatedClock } from "../../src/util/simulated_clock.ts";
import { SimulatedRecordLog } from "./simulated_record_log.ts";
import { SimulatedWalDisk } from "./simulated_wal_disk.ts";

interface Process {
  log: SimulatedRecordLog;
  sharedLog: SharedLog;
  clock: SimulatedClock;
  groups: Map<number, GroupStorage>;
}

interface PendingPersist {
  label: string;
  resolved: boolean;
}

const noFaults = { acknowledgeBeforeSync: false };
/** Segments large enough that the scenarios stay in one. */
const segmentSizeBytes = 64 * 1024;

export class WalTranscript {
  private readonly disk = new SimulatedWalDisk("n1", { beforeDurable: () => {}, durable: () => {} });
  private process: Process | null = null;
  private pending: PendingPersist[] = [];

  async run(line: string): Promise<string> {
    const [verb, ...words] = line.trim().split(/\s+/);
    switch (verb) {
      case "open":
        return this.open();
      case "group":
        return this.group(Number(words[0]));
      case "persist":
        return this.persist(words);
      case "write":
        return this.write();
      case "sync":
        this.running().log.startSync(Number(words[0]), this.running().clock);
        return this.settle(`fdatasync started, done in ${words[0]} ms`);
      case "advance":
        this.running().clock.advance(Number(words[0]));
        return this.settle(`clock at ${this.running().clock.now()} ms`);
      case "crash":
        return this.crash(words);
      case "state":
        return describeGroup(this.running().groups.get(Number(words[0]))!);
      default:
        throw new Error(`unknown transcript command ${verb}`);
    }
  }

  private running(): Process {
    if (this.process === null) throw new Error("no process: open first");
    return this.process;
  }

  private open(): string {
    const log = SimulatedRecordLog.open(this.disk, segmentSizeBytes, noFaults);
    const sharedLog = SharedLog.openOn(log, new SnapshotStore(this.disk.snapshotFiles), this.disk.name);
    this.process = { log, sharedLog, clock: new SimulatedClock(), groups: new Map() };
    const torn = log.recovery.tornTail;
    const tail = torn === null ? "none" : `${torn.bytesCut} bytes cut at offset ${torn.offset}`;
    const groups = sharedLog.groupIds();
    return `recovered ${log.recovery.recordsRecovered} records, groups [${groups.join(",")}]; torn tail: ${tail}`;
  }

  private async group(group: number): Promise<string> {
    const process = this.running();
    const existed = process.sharedLog.groupIds().includes(group);
    const opening = process.sharedLog.openGroup(group, { voters: [1, 2, 3], learners: [] });
    if (process.log.wantsFlush()) {
      process.log.write();
      process.log.startSync(0, process.clock);
      process.log.announceCompletions();
    }
    process.groups.set(group, await opening);
    return existed ? `group ${group} opened` : `group ${group} created, its first record durable`;
  }

  private persist(words: string[]): string {
    const process = this.running();
    const group = Number(words[0]);
    const [first, last] = words[1].split("..").map(Number);
    const field = (name: string) => Number(words.find((word) => word.startsWith(`${name}=`))?.split("=")[1] ?? 0);
    const storage = process.groups.get(group)!;
    const before = process.log.lastIndex();
    const hardState = makeHardState(field("term"), field("vote"), field("commit"));
    const label = `group ${group} ${first}..${last}`;
    const persist: PendingPersist = { label, resolved: false };
    this.pending.push(persist);
    void storage.persist({ hardState, entries: entriesOf(first, last, field("term")) }).then(() => {
      persist.resolved = true;
    });
    const end = process.log.lastIndex();
    return `appended ${end === before + 1 ? `record ${end}` : `records ${before + 1}..${end}`}, not yet written`;
  }

  private write(): string {
    const process = this.running();
    const stats = process.log.stats();
    const groups = process.log.write();
    const bytes = process.log.stats().bytesWritten - stats.bytesWritten;
    return `one write: ${bytes} bytes of ${groups} groups' records, through record ${process.log.lastIndex()}`;
  }

  private crash(words: string[]): string {
    const kind = words[0];
    // The draws of SimulatedRecordLog.crash: keep nothing, keep all, or a torn cut (byte flipped or not).
    const torn = [0.9, Number(words[1]), words[2] === "flip" ? 0.1 : 0.9];
    const draws = kind === "nothing" ? [0] : kind === "all" ? [0.5] : torn;
    const tear = this.running().log.crash(() => draws.shift() ?? 0);
    this.process = null;
    const unacknowledged = this.pending.filter((persist) => !persist.resolved).map((persist) => persist.label);
    this.pending = [];
    const cut = tear.torn ? ", cut inside a record" : "";
    return [
      `power lost: ${tear.keptBytes} of ${tear.unsyncedBytes} unsynced bytes kept${cut}`,
      `records lost: ${tear.recordsLost}, of groups [${tear.groupsLosingRecords.join(",")}]`,
      `never acknowledged: ${unacknowledged.length === 0 ? "none" : unacknowledged.join(", ")}`,
    ].join("\n");
  }

  /** Lets resolved persists' callbacks run, then prints `headline` and what resolved since last time. */
  private async settle(headline: string): Promise<string> {
    this.running().log.announceCompletions();
    await new Promise((resolve) => setImmediate(resolve));
    const resolved = this.pending.filter((persist) => persist.resolved).map((persist) => persist.label);
    this.pending = this.pending.filter((persist) => !persist.resolved);
    return `${headline}; resolved: ${resolved.length === 0 ? "none" : resolved.join(", ")}`;
  }
}

function describeGroup(storage: GroupStorage): string {
  const { hardState } = storage.initialState();
  const terms: number[] = [];
  for (let index = storage.firstIndex(); index <= storage.lastIndex(); index++) terms.push(storage.term(index));
  const first = storage.firstIndex();
  const entries = storage.lastIndex() < first ? "none" : `${first}..${storage.lastIndex()} terms [${terms.join(",")}]`;
  return `term ${hardState.term} vote ${hardState.vote} commit ${hardState.commit}; entries ${entries}`;
}
