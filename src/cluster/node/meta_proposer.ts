/**
 * Proposing coordinator commands from any node: the meta group's leader proposes a command to
 * its group itself; any other node sends it to the leader's admin endpoint (POST
 * metaCommandPath, body = the encoded command, coordinator_codec.ts), which proposes it there.
 * The leader is known by node id (the meta group's member ids are node ids) and its admin
 * address from the coordinator's node list.
 *
 * Outcomes are the coordinator's (a typed refusal is an answer, not an error). What is not an
 * answer, because no leader is known, its address is not, or it did not answer in time, is a
 * MetaUnavailableError, after which the caller may try again: every command is safe to repeat
 * (bootstrap once, addNode idempotent, move steps refused when already done).
 */
import { encodeCommand } from "../meta/coordinator_codec.ts";
import type { CoordinatorCommand, CoordinatorOutcome } from "../meta/coordinator_command.ts";
import type { CoordinatorMachine } from "../meta/coordinator_machine.ts";
import type { NodeId } from "../raft/types.ts";
import type { ReplicaDriver } from "../replica/replica_driver.ts";
import { ReplicationError } from "../replication_error.ts";

export type MetaDriver = ReplicaDriver<CoordinatorOutcome, CoordinatorMachine>;

/** The admin route a meta leader takes commands on. */
export const metaCommandPath = "/cluster/meta/command";

/** A forwarded command waits this long for its leader's answer: a commit takes ms, an election under a second. */
const forwardTimeoutMs = 5_000;

class MetaUnavailableError extends Error {
  override name = "MetaUnavailableError";
}

export class MetaProposer {
  constructor(
    private readonly driver: MetaDriver,
    private readonly selfNode: NodeId,
  ) {}

  /** Proposes `command` on the meta leader, wherever it is. */
  async propose(command: CoordinatorCommand): Promise<CoordinatorOutcome> {
    if (this.driver.isLeader()) return this.proposeHere(encodeCommand(command));
    const leader = this.driver.leaderId();
    if (leader === 0) throw new MetaUnavailableError("the coordinator has no leader (an election is under way)");
    const admin = this.driver.machine.node(leader)?.addresses.adminAddress ?? "";
    if (admin === "" || leader === this.selfNode) {
      throw new MetaUnavailableError(`the coordinator's leader n${leader} has no admin address known yet`);
    }
    return forward(admin, encodeCommand(command));
  }

  /** Proposes encoded command bytes here; this node must lead the meta group (else ReplicationError NOT_LEADER). */
  async proposeHere(data: Uint8Array): Promise<CoordinatorOutcome> {
    const outcome = await this.driver.propose(data, this.driver.clock.now() + forwardTimeoutMs);
    if (outcome === undefined) {
      throw new ReplicationError("UNAVAILABLE", "a coordinator command applied without an outcome");
    }
    return outcome;
  }
}

async function forward(admin: string, data: Uint8Array): Promise<CoordinatorOutcome> {
  let response: Response;
  try {
    response = await fetch(`http://${admin}${metaCommandPath}`, {
      method: "POST", body: data, signal: AbortSignal.timeout(forwardTimeoutMs),
    });
  } catch (error) {
    throw new MetaUnavailableError(`the coordinator's leader at ${admin} did not answer: ${(error as Error).message}`);
  }
  const body = (await response.json().catch(() => null)) as { outcome?: CoordinatorOutcome; error?: string } | null;
  if (response.status === 200 && body?.outcome !== undefined) return body.outcome;
  const reason = body?.error ?? "no outcome";
  throw new MetaUnavailableError(`the coordinator's leader at ${admin} answered ${response.status}: ${reason}`);
}
