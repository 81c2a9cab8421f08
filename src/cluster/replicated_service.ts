/**
 * The KeyValueService of a replicated node: what the client-port server calls when this node is
 * one replica of a Raft group.
 * - Writes are proposed to Raft and answered with the result of applying them once committed;
 *   a follower answers NOT_LEADER with the leader's client address; with no leader known
 *   (an election), UNAVAILABLE, which clients retry within their deadline.
 * - Reads follow the consistency level: `strong` waits for a ReadIndex round on the leader
 *   (linearizable, §6.4); `bounded` is served by any replica that heard from its leader within
 *   the request's maxStalenessMs; `eventual` by any replica, from what it has applied.
 * A node removed from the group refuses everything with UNAVAILABLE naming the removal, which a
 * cluster client answers by trying another member.
 * A write carrying a client identity is deduplicated in the replicated state machine, so a
 * resend after a failover is answered with the first outcome, never applied twice.
 */
import type { Engine } from "../engine/engine.ts";
import type { Command, CommandResult, Entry, FoundValue, ScanOptions, ScanPage } from "../engine/types.ts";
import { validateCommand } from "../engine/validation.ts";
import { ServiceError, type KeyValueService, type ReadContext, type WriteContext } from "../net/key_value_service.ts";
import { encodeEntryPayload } from "./entry_payload_codec.ts";
import { formatNodeId } from "./node_id.ts";
import { removalClientMessage } from "./node_removal.ts";
import type { KeyValueDriver } from "./key_value_replica.ts";
import { ReplicationError } from "./replication_error.ts";

/** A write with no deadline from its client gives up after this: a commit takes milliseconds, an election well under a second. */
const writeTimeoutMsDefault = 10_000;

export class ReplicatedKeyValueService implements KeyValueService {
  constructor(
    private readonly driver: KeyValueDriver,
    private readonly engine: Engine,
    /**
     * The client address of the node running group member `member`, for NOT_LEADER hints: by
     * default from the addresses members announced in the group's log (the single group); a
     * shard's replica reads them from the coordinator's node list instead.
     */
    private readonly clientAddressOf: (member: number) => string =
      (member) => driver.machine.members.get(member)?.clientAddress ?? "",
    /** How errors name this replica: the node's name for the single group, "n1's replica of shard 5" for a shard. */
    private readonly selfName: string = formatNodeId(driver.nodeId),
  ) {}

  /*
   * Keys and bounds handed to a read are views into a receive buffer, valid until the call
   * returns (key_value_service.ts): a read that waits for a barrier reads a copy of them.
   */

  get(key: Uint8Array, context: ReadContext): Entry | null | Promise<Entry | null> {
    this.refuseIfRemoved();
    const barrier = this.readBarrier(context);
    if (barrier === null) return this.engine.get(key);
    const owned = key.slice();
    return barrier.then(() => this.engine.get(owned));
  }

  getAt(bytes: Uint8Array, start: number, end: number, context: ReadContext): FoundValue | null | Promise<FoundValue | null> {
    this.refuseIfRemoved();
    const barrier = this.readBarrier(context);
    if (barrier === null) return this.engine.getAt(bytes, start, end);
    const owned = bytes.slice(start, end);
    return barrier.then(() => this.engine.getAt(owned, 0, owned.length));
  }

  scan(options: ScanOptions, context: ReadContext): ScanPage | Promise<ScanPage> {
    this.refuseIfRemoved();
    const barrier = this.readBarrier(context);
    if (barrier === null) return this.engine.scan(options);
    const owned = copyScanOptions(options);
    return barrier.then(() => this.engine.scan(owned));
  }

  apply(command: Command): Promise<CommandResult> {
    return this.applyWithContext(command, { deadlineAtMs: Infinity, sessionId: null, sequence: 0, oldestPendingSequence: 0 });
  }

  async applyWithContext(command: Command, context: WriteContext): Promise<CommandResult> {
    validateCommand(command);
    this.refuseIfRemoved();
    this.requireLeader();
    const identity = context.sessionId !== null && context.sequence > 0
      ? { sessionId: context.sessionId.slice(), sequence: context.sequence, oldestPendingSequence: context.oldestPendingSequence }
      : null;
    const deadlineAtMs = Number.isFinite(context.deadlineAtMs) ? context.deadlineAtMs : this.driver.clock.now() + writeTimeoutMsDefault;
    // Encoded before the first await: the views into the receive buffer are read in time.
    const data = encodeEntryPayload({ kind: "write", identity, command });
    let outcome;
    try {
      outcome = await this.driver.propose(data, deadlineAtMs);
    } catch (error) {
      throw this.serviceError(error);
    }
    if (outcome === undefined) throw new ServiceError("INTERNAL", "a write entry applied without an outcome");
    if (!outcome.ok) throw new ServiceError(outcome.code, outcome.message);
    return outcome.result;
  }

  /** null: serve from this replica now; a promise: serve once it resolves. Throws when this replica may not serve. */
  private readBarrier(context: ReadContext): Promise<void> | null {
    switch (context.consistency) {
      case "eventual":
        return null;
      case "bounded": {
        if (this.driver.isLeader()) return null;
        const sinceContactMs = this.driver.clock.now() - this.driver.lastLeaderContactMs;
        if (sinceContactMs <= context.maxStalenessMs) return null;
        throw this.notLeader(`this replica last heard from its leader ${Math.round(Math.min(sinceContactMs, 1e9))} ms ago, over the ${context.maxStalenessMs} ms allowed`);
      }
      case "strong":
        this.requireLeader();
        return this.driver.readBarrier(context.deadlineAtMs).catch((error: unknown) => {
          throw this.serviceError(error);
        });
    }
  }

  /** A removed node serves nothing, not even eventual reads: its data no longer follows the group. */
  private refuseIfRemoved(): void {
    const removal = this.driver.removed;
    if (removal !== null) throw new ServiceError("UNAVAILABLE", removalClientMessage(removal));
  }

  private requireLeader(): void {
    if (this.driver.isLeader()) return;
    throw this.notLeader(`${this.selfName} is not the leader`);
  }

  private notLeader(message: string): ServiceError {
    const leader = this.driver.leaderId();
    if (leader === 0) return new ServiceError("UNAVAILABLE", `${message}; no leader is known (an election is under way)`);
    return new ServiceError("NOT_LEADER", message, this.clientAddressOf(leader));
  }

  private serviceError(error: unknown): Error {
    if (!(error instanceof ReplicationError)) return error as Error;
    if (error.code === "NOT_LEADER") return this.notLeader(error.message);
    return new ServiceError(error.code, error.message);
  }
}

/** `options` with copies of its byte fields. */
function copyScanOptions(options: ScanOptions): ScanOptions {
  const copy: ScanOptions = { limit: options.limit };
  if (options.prefix !== undefined) copy.prefix = options.prefix.slice();
  if (options.start !== undefined) copy.start = options.start.slice();
  if (options.end !== undefined) copy.end = options.end.slice();
  if (options.cursor !== undefined) copy.cursor = options.cursor.slice();
  return copy;
}
