/**
 * The Raft driver's operational log. The pure core (src/cluster/raft/) logs nothing; the driver
 * shows this class what the core did after each step it takes (its soft state and term after a
 * Ready, its membership after applying, the snapshots it stored), and this class turns the
 * differences into lines:
 *
 *   info  "became leader" term            info  "leader changed" term leader
 *   info  "election started" term         info  "election lost" term (a candidate that did not win)
 *   info  "leader unknown" term previous  info  "stepped down" term leader
 *   debug "pre-vote started" term         debug "term changed" term previous
 *   info  "member added as learner" / "member promoted to voter" / "member removed" member
 *   info  "snapshot taken" / "snapshot installed" index term
 *
 * It reads only what the driver hands it, so it costs a few comparisons per Ready.
 */
import { errorText, type Logger } from "../../util/logger.ts";
import { formatNodeId } from "../node_id.ts";
import type { ConfState, NodeId, Role, SnapshotMetadata, SoftState } from "../raft/types.ts";

export class RaftEventLog {
  private role: Role = "follower";
  private leader: NodeId = 0;
  private term: number;
  private voters = new Set<NodeId>();
  private learners = new Set<NodeId>();

  constructor(
    private readonly logger: Logger,
    private readonly nodeId: NodeId,
    term: number,
  ) {
    this.term = term;
  }

  /** After a Ready: the core's role, leader and term now. */
  observe(softState: SoftState, term: number): void {
    if (term !== this.term) {
      this.logger.debug("term changed", { term, previous: this.term });
      this.term = term;
    }
    if (softState.role !== this.role) this.roleChanged(this.role, softState);
    if (softState.leader !== this.leader) this.leaderChanged(this.leader, softState.leader);
    this.role = softState.role;
    this.leader = softState.leader;
  }

  /** The membership after start, a membership change or a snapshot; logs what changed. */
  membership(conf: ConfState): void {
    const voters = new Set(conf.voters);
    const learners = new Set(conf.learners);
    if (this.voters.size === 0 && this.learners.size === 0) {
      this.logger.info("membership", { term: this.term, voters: names(voters), learners: names(learners) });
    } else {
      this.membershipChanged(voters, learners);
    }
    this.voters = voters;
    this.learners = learners;
  }

  snapshotTaken(metadata: SnapshotMetadata): void {
    this.logger.info("snapshot taken", { index: metadata.index, term: metadata.term });
  }

  snapshotInstalled(metadata: SnapshotMetadata): void {
    this.logger.info("snapshot installed", { index: metadata.index, term: metadata.term, leader: nameOf(this.leader) });
  }

  snapshotFailed(error: Error): void {
    this.logger.warn("snapshot failed; the next interval tries again", { error: error.message });
  }

  transferStarted(to: NodeId): void {
    this.logger.info("leadership transfer started", { term: this.term, to: formatNodeId(to) });
  }

  failed(error: unknown): void {
    const message = "replication stopped: this node refuses reads and writes until restarted";
    this.logger.error(message, { error: errorText(error) });
  }

  private roleChanged(from: Role, to: SoftState): void {
    const term = this.term;
    if (to.role === "leader") this.logger.info("became leader", { term });
    else if (to.role === "candidate") this.logger.info("election started", { term });
    else if (to.role === "preCandidate") this.logger.debug("pre-vote started", { term });
    else if (from === "leader") this.logger.info("stepped down", { term, leader: nameOf(to.leader) });
    else if (from === "candidate") this.logger.info("election lost", { term, leader: nameOf(to.leader) });
    else this.logger.debug("pre-vote lost", { term, leader: nameOf(to.leader) });
  }

  private leaderChanged(previous: NodeId, leader: NodeId): void {
    if (leader === this.nodeId) return; // "became leader" says it
    if (leader === 0) this.logger.info("leader unknown", { term: this.term, previous: nameOf(previous) });
    else this.logger.info("leader changed", { term: this.term, leader: formatNodeId(leader) });
  }

  private membershipChanged(voters: Set<NodeId>, learners: Set<NodeId>): void {
    for (const member of learners) {
      if (this.learners.has(member)) continue;
      this.memberChanged(this.voters.has(member) ? "member demoted to learner" : "member added as learner", member);
    }
    for (const member of voters) {
      if (this.voters.has(member)) continue;
      this.memberChanged(this.learners.has(member) ? "member promoted to voter" : "member added as voter", member);
    }
    for (const member of [...this.voters, ...this.learners]) {
      if (!voters.has(member) && !learners.has(member)) this.memberChanged("member removed", member);
    }
  }

  private memberChanged(message: string, member: NodeId): void {
    this.logger.info(message, { term: this.term, member: formatNodeId(member) });
  }
}

function names(members: Set<NodeId>): string {
  return [...members].sort((left, right) => left - right).map(formatNodeId).join(",");
}

/** A node's name, or undefined (left out of the line) for "none". */
function nameOf(node: NodeId): string | undefined {
  return node === 0 ? undefined : formatNodeId(node);
}
