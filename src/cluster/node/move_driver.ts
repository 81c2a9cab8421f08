/**
 * Replica moves, driven by the shard's own leader (`filestore cluster move-replica SHARD --from
 * n1 --to n4`). The coordinator records the plan and its progress (meta/move_commands.ts: the
 * target's role in the shard is the step); the shard's group changes its membership to match,
 * one Raft membership change at a time, so writes go on throughout. On every check, each node
 * takes the next step of every move of a shard whose replica here leads:
 *
 *   coordinator says      shard's group says              step
 *   target learner        target not a member             add it as a learner (Raft)
 *   target learner        target a learner, behind        wait: it catches up by log or snapshot
 *   target learner        target a learner, caught up     promote it to voter (Raft)
 *   target learner        target a voter                  record the promotion (coordinator promote)
 *   target voter          source is this leader           hand leadership to the target first
 *   target voter          source a voter                  remove the source (Raft)
 *   target voter          source gone                     record the end (coordinator removeReplica)
 *
 * Each step is decided from state both sides replicate, so a step cut short (a crash, a new
 * leader of the shard or of the coordinator) is taken again by whoever leads next; every step is
 * safe to repeat. The target's node starts its replica as soon as the coordinator records it
 * (shard_replica_set.ts); the source's node deletes its replica once the move has ended.
 */
import type { Clock, Timer } from "../../util/clock.ts";
import { errorText, type Logger } from "../../util/logger.ts";
import type { CoordinatorCommand } from "../meta/coordinator_command.ts";
import type { CoordinatorMachine } from "../meta/coordinator_machine.ts";
import { replicaOn } from "../meta/coordinator_state.ts";
import type { ConfChange } from "../raft/types.ts";
import type { MetaProposer } from "./meta_proposer.ts";
import type { ShardReplica } from "./shard_replica.ts";

/** Between checks while moves run; each step is a Raft round or two, so this bounds a move's pace little. */
const moveCheckIntervalMs = 50;
/** A membership change or a coordinator step waits this long before it is tried again. */
const moveStepTimeoutMs = 10_000;
/** A learner this close to the leader's last index is caught up: the rest arrives in one append. */
const caughtUpEntriesMax = 16;

export class MoveDriver {
  private readonly busy = new Set<number>();
  private readonly lastFailure = new Map<number, string>();
  private readonly timer: Timer;

  constructor(
    private readonly coordinator: CoordinatorMachine,
    private readonly replica: (shard: number) => ShardReplica | undefined,
    private readonly proposer: MetaProposer,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.timer = clock.every(moveCheckIntervalMs, () => this.check());
  }

  close(): void {
    this.timer.cancel();
  }

  /** Takes the next step of every move of a shard led here. */
  check(): void {
    for (const move of this.coordinator.moves()) {
      const replica = this.replica(move.shard);
      if (replica === undefined || !replica.driver.isLeader() || this.busy.has(move.shard)) continue;
      const step = this.nextStep(move.shard, replica);
      if (step === null) continue;
      this.busy.add(move.shard);
      step.run().then(
        () => this.logger.info("replica move step done", { shard: move.shard, step: step.name }),
        (error: unknown) => this.noteFailure(move.shard, `${step.name}: ${errorText(error)}`),
      ).finally(() => this.busy.delete(move.shard));
    }
  }

  private nextStep(shard: number, replica: ShardReplica): { name: string; run: () => Promise<void> } | null {
    const move = this.coordinator.move(shard);
    const record = this.coordinator.shard(shard);
    if (move === undefined || record === undefined) return null;
    const target = replicaOn(record, move.to);
    const source = replicaOn(record, move.from);
    if (target === undefined) return null;
    const driver = replica.driver;
    const { confState, lastIndex } = driver.status();
    const isVoter = (member: number) => confState.voters.includes(member);
    const isLearner = (member: number) => confState.learners.includes(member);
    if (target.role === "learner") {
      if (!isVoter(target.replica) && !isLearner(target.replica)) {
        return this.change("add the target as a learner", replica, { kind: "addLearner", node: target.replica });
      }
      if (isLearner(target.replica)) {
        const matched = driver.peerMatchIndex.get(target.replica) ?? 0;
        if (lastIndex - matched > caughtUpEntriesMax) return null;
        return this.change("promote the target to voter", replica, { kind: "promoteLearner", node: target.replica });
      }
      return this.record("record the promotion", { kind: "promote", shard, node: move.to });
    }
    if (source !== undefined && source.replica === replica.replica) {
      return { name: "hand leadership to the target", run: async () => driver.transferLeadership(target.replica) };
    }
    if (source !== undefined && (isVoter(source.replica) || isLearner(source.replica))) {
      return this.change("remove the source", replica, { kind: "removeNode", node: source.replica });
    }
    return this.record("record the end of the move", { kind: "removeReplica", shard, node: move.from });
  }

  private change(name: string, replica: ShardReplica, change: ConfChange): { name: string; run: () => Promise<void> } {
    return { name, run: () => replica.driver.changeMembership(change, this.clock.now() + moveStepTimeoutMs) };
  }

  private record(name: string, command: CoordinatorCommand): { name: string; run: () => Promise<void> } {
    return {
      name,
      run: async () => {
        const outcome = await this.proposer.propose(command);
        if (!outcome.ok) throw new Error(`the coordinator refused: ${outcome.code} ${outcome.message}`);
      },
    };
  }

  private noteFailure(shard: number, text: string): void {
    if (this.lastFailure.get(shard) === text) return;
    this.lastFailure.set(shard, text);
    this.logger.warn("replica move step failed; retrying", { shard, reason: text });
  }
}
