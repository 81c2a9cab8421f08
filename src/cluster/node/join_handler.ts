/**
 * A member's side of the join exchange (`serve --join HOST:PORT`; wire: join_codec.ts): decides
 * one join request the node transport received, one at a time.
 *
 * - The cluster is not bootstrapped yet, or another join is being decided here: NotReady.
 * - This node does not lead the coordinator's group: Redirect to the leader's peer address
 *   (from the node list), or NotReady when no leader is known.
 * - The leader: proposes joinNode (the node recorded as joining, node_commands.ts; a refusal such
 *   as NODE_CONFLICT is answered Refused, nothing changed), then adds the node to the coordinator's
 *   group as a learner (member id = node id) unless the group lists it already. New nodes are
 *   learners: the group's voters stay as they are (at most metaVotersMax). Answers Accepted
 *   with the group's voters and their peer addresses, whom the joining node accepts messages
 *   from until it holds the group's membership itself.
 * Both steps are safe to repeat, so a joining node whose answer was lost asks again and is
 * accepted; one that fails between them (a leader change) is answered NotReady and asks again.
 */
import { encodeCommand } from "../meta/coordinator_codec.ts";
import { NodeIdError, parseNodeId } from "../node_id.ts";
import type { NodeId } from "../raft/types.ts";
import { assert } from "../../util/assert.ts";
import type { JoinAnswer, JoinMember, JoinRequest } from "../transport/join_codec.ts";
import type { MetaDriver, MetaProposer } from "./meta_proposer.ts";

/** A learner's addition waits this long for its commit; a slower coordinator is not ready (the node asks again). */
const learnerAdditionTimeoutMs = 4_000;

export class JoinDecider {
  private busy = false;

  constructor(
    private readonly meta: MetaDriver,
    private readonly proposer: MetaProposer,
  ) {}

  async decide(request: JoinRequest): Promise<JoinAnswer> {
    assert(request.nodeId > 0 && request.name.length > 0, "a decoded join request names its node");
    if (!this.meta.machine.bootstrapped) return { kind: "notReady", reason: "the cluster is not bootstrapped yet" };
    if (!this.meta.isLeader()) return this.redirect();
    const problem = nameProblem(request);
    if (problem !== null) return { kind: "refused", code: "INVALID_ARGUMENT", reason: problem };
    if (this.busy) return { kind: "notReady", reason: "another join is being decided" };
    this.busy = true;
    try {
      return await this.admit(request);
    } finally {
      this.busy = false;
    }
  }

  private async admit(request: JoinRequest): Promise<JoinAnswer> {
    const addresses = { peerAddress: request.peerAddress, clientAddress: "", adminAddress: "" };
    const command = { kind: "joinNode" as const, node: { id: request.nodeId, name: request.name, addresses } };
    const outcome = await this.proposer.proposeHere(encodeCommand(command));
    if (!outcome.ok) return { kind: "refused", code: outcome.code, reason: outcome.message };
    const { voters, learners } = this.meta.status().confState;
    if (!voters.includes(request.nodeId) && !learners.includes(request.nodeId)) {
      const deadline = this.meta.clock.now() + learnerAdditionTimeoutMs;
      await this.meta.changeMembership({ kind: "addLearner", node: request.nodeId }, deadline);
    }
    return { kind: "accepted", members: this.voterAddresses() };
  }

  private redirect(): JoinAnswer {
    const leader = this.meta.leaderId();
    const leaderPeer = leader === 0 ? "" : (this.meta.machine.node(leader)?.addresses.peerAddress ?? "");
    if (leaderPeer === "") return { kind: "notReady", reason: "no leader of the coordinator known here (an election)" };
    return { kind: "redirect", leaderPeer, reason: "this node does not lead the coordinator" };
  }

  private voterAddresses(): JoinMember[] {
    const members: JoinMember[] = [];
    for (const voter of this.meta.status().confState.voters) {
      const peerAddress = this.meta.machine.node(voter)?.addresses.peerAddress ?? "";
      if (peerAddress !== "") members.push({ nodeId: voter as NodeId, peerAddress });
    }
    return members;
  }
}

/** Why the request's name does not name its id (node_id.ts), or null. */
function nameProblem(request: JoinRequest): string | null {
  try {
    const id = parseNodeId(request.name);
    return id === request.nodeId ? null : `the name ${request.name} is node id ${id}, not ${request.nodeId}`;
  } catch (error) {
    if (error instanceof NodeIdError) return error.message;
    throw error;
  }
}
