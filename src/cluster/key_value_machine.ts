/**
 * The key-value machine: the replicated state of a shard's group on one replica, one of the
 * ReplicatedMachine implementations a replica driver runs (replica/replicated_machine.ts). It
 * holds the Engine (keys and values), the session table (write deduplication, §6.3) and the
 * member addresses leaders announced (entry_payload_codec.ts; member_address_book.ts keeps the
 * peer transport in step with them). Committed Raft entries come in strictly in log order; every
 * replica computes the same results from them.
 *
 * Restart: the engine recovers from its own files up to engine.appliedRaftIndex(); Raft then
 * hands back every committed entry after its snapshot. Entries the engine already holds are not
 * applied again; their session identities are remembered with an unknown outcome, so a resend
 * of such a write is refused rather than applied twice.
 */
import type { Engine } from "../engine/engine.ts";
import type { Command, CommandResult } from "../engine/types.ts";
import { decodeEntryPayload, type MemberAddresses, type WriteIdentity } from "./entry_payload_codec.ts";
import { rememberMemberName } from "./node_id.ts";
import type { Entry, NodeId } from "./raft/types.ts";
import type { MachineSnapshot, ReplicatedMachine } from "./replica/replicated_machine.ts";
import { sessionKey } from "../net/session_outcomes.ts";
import { outcomeUnknown, SessionTable } from "./session_table.ts";
import { ChurnMap } from "../util/churn_map.ts";
import {
  decodeKeyValueSnapshot,
  encodeKeyValueSnapshot,
  KeyValueSnapshotError,
  memberTuples,
  restoreMembers,
  type KeyValueSnapshot,
} from "./key_value_snapshot.ts";

/** A write's result, or the typed error its proposer answers with (wire status name + message). */
export type WriteOutcome = { ok: true; result: CommandResult } | { ok: false; code: "CONFLICT" | "INVALID_REQUEST" | "TOO_LARGE" | "UNAVAILABLE"; message: string };

export class KeyValueMachine implements ReplicatedMachine<WriteOutcome> {
  /** Index of the last entry handed to apply (or restored from a snapshot). */
  appliedIndex: number;
  sessions: SessionTable;
  readonly members = new Map<NodeId, MemberAddresses>();
  /**
   * Called when the engine fails a write for a reason of its own (its log failed): this replica
   * no longer holds what the others do and must stop serving.
   */
  onFatal: (error: Error) => void = () => {};
  /** Called after a member entry changed the member table (member_address_book.ts follows it). */
  onMembersChanged: () => void = () => {};
  /** Writes evaluated whose engine append has not resolved: their outcome is not in `sessions` yet. */
  /** One entry in and out per identified write: a ChurnMap. */
  private readonly unsettled = new ChurnMap<string, Promise<WriteOutcome>>();

  constructor(readonly engine: Engine, appliedIndex: number, sessions = new SessionTable()) {
    this.appliedIndex = appliedIndex;
    this.sessions = sessions;
  }

  /** Applies one committed entry; a write entry gives its outcome (for the proposer's reply). */
  apply(entry: Entry): Promise<WriteOutcome> | undefined {
    this.appliedIndex = entry.index;
    if (entry.kind === "config" || entry.data.length === 0) return undefined;
    const payload = decodeEntryPayload(entry.data);
    if (payload.kind === "member") {
      this.members.set(payload.node, payload.addresses);
      if (payload.name !== undefined) rememberMemberName(payload.name, payload.node);
      this.onMembersChanged();
      return undefined;
    }
    return this.applyWrite(entry.index, payload.identity, payload.command);
  }

  /**
   * The picture is taken once evaluated writes have settled, at the engine's first export chunk:
   * the session table and member addresses are those of that index. The rest of the export and
   * an engine checkpoint (the engine's own log runs unsynced: the checkpoint makes it durable
   * through the snapshot, before Raft drops the entries behind it) finish in the background.
   */
  async snapshot(): Promise<MachineSnapshot> {
    await this.settle();
    const index = this.appliedIndex;
    const sessions = this.sessions.encode();
    const members = memberTuples(this.members);
    const chunks = this.engine.exportSnapshot()[Symbol.asyncIterator]();
    const first = await chunks.next(); // the engine's picture is taken here, at `index`
    const finish = async (): Promise<Uint8Array> => {
      const engineChunks = first.done ? [] : [first.value.slice()];
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
        engineChunks.push(next.value.slice());
      }
      await this.engine.checkpoint();
      return encodeKeyValueSnapshot({ appliedIndex: index, engineChunks, sessions, members });
    };
    return { index, data: finish() };
  }

  /**
   * Replaces the whole state with a snapshot received from the leader; one that is not of this
   * format (key_value_snapshot.ts) is refused with KeyValueSnapshotError before anything changes.
   */
  async restore(data: Uint8Array, index: number): Promise<void> {
    const snapshot = decodeKeyValueSnapshot(data);
    if (snapshot.appliedIndex !== index) {
      const reason = `of index ${snapshot.appliedIndex} inside a Raft snapshot of index ${index}`;
      throw new KeyValueSnapshotError("MALFORMED", reason);
    }
    await this.install(snapshot);
  }

  /** Replaces the whole state (engine included) with a decoded snapshot. */
  async install(snapshot: KeyValueSnapshot): Promise<void> {
    await this.settle();
    await this.engine.installSnapshot(snapshot.engineChunks);
    this.adoptSessionsAndMembers(snapshot);
    this.appliedIndex = snapshot.appliedIndex;
  }

  /** Takes a snapshot's session table and member addresses (the engine's state is left as it is). */
  adoptSessionsAndMembers(snapshot: KeyValueSnapshot): void {
    this.sessions = snapshot.sessions;
    this.members.clear();
    restoreMembers(this.members, snapshot.members);
    this.onMembersChanged();
  }

  private applyWrite(index: number, identity: WriteIdentity | null, command: Command): Promise<WriteOutcome> | undefined {
    if (identity === null) return index <= this.engine.appliedRaftIndex() ? undefined : this.applyCommand(index, command);
    this.sessions.forgetBelow(identity.sessionId, identity.oldestPendingSequence);
    const key = unsettledKey(identity);
    const prior = this.priorOutcome(identity, key);
    if (prior !== undefined) return prior;
    if (index <= this.engine.appliedRaftIndex()) {
      this.sessions.remember(identity.sessionId, identity.sequence, outcomeUnknown);
      return undefined;
    }
    const outcome = this.applyIdentified(index, identity, command, key);
    this.unsettled.set(key, outcome);
    return outcome;
  }

  /** The engine's answer as an outcome (async functions, not then() callbacks: this runs per write). */
  private async applyCommand(index: number, command: Command): Promise<WriteOutcome> {
    try {
      return { ok: true, result: await this.engine.apply(command, { raftIndex: index }) };
    } catch (error) {
      const failure = engineFailure(error);
      if (!failure.ok && failure.code === "UNAVAILABLE") this.onFatal(error instanceof Error ? error : new Error(String(error)));
      return failure;
    }
  }

  private async applyIdentified(index: number, identity: WriteIdentity, command: Command, key: string): Promise<WriteOutcome> {
    const settled = await this.applyCommand(index, command);
    this.unsettled.delete(key);
    // A refused command had no effect: a resend may be evaluated again, so nothing is remembered.
    if (settled.ok) this.sessions.remember(identity.sessionId, identity.sequence, settled.result);
    return settled;
  }

  private priorOutcome(identity: WriteIdentity, key: string): Promise<WriteOutcome> | undefined {
    const unsettled = this.unsettled.get(key);
    if (unsettled !== undefined) return unsettled;
    const prior = this.sessions.lookup(identity.sessionId, identity.sequence);
    if (prior.kind === "new") return undefined;
    if (prior.kind === "applied" && prior.outcome !== outcomeUnknown) return Promise.resolve({ ok: true, result: prior.outcome });
    const why = prior.kind === "forgotten" ? "is older than the deduplication window" : "was applied before a restart";
    return Promise.resolve({ ok: false, code: "CONFLICT", message: `write ${identity.sequence} of this session ${why}; its outcome is unknown` });
  }

  /** Resolves once every evaluated write is in the session table (before a snapshot is taken). */
  async settle(): Promise<void> {
    while (this.unsettled.size > 0) await Promise.all(this.unsettled.values());
  }
}

function unsettledKey(identity: WriteIdentity): string {
  return `${sessionKey(identity.sessionId)}#${identity.sequence}`;
}

function engineFailure(error: unknown): WriteOutcome {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === "INVALID_REQUEST" || code === "TOO_LARGE") return { ok: false, code, message };
  return { ok: false, code: "UNAVAILABLE", message };
}
