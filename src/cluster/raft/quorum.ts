/**
 * Majority quorums over a set of voters (§3.4, §3.6). Membership changes are one server at
 * a time (see conf_change.ts), so a single majority config is enough: no joint quorums.
 */
import type { NodeId } from "./types.ts";

type VoteResult = "won" | "lost" | "pending";

export function majority(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The largest index stored on a majority of voters, given each voter's match index (0 for a
 * voter without progress). Runs on every acknowledgement: no callback, one small array.
 */
export function committedIndex(voters: NodeId[], progress: ReadonlyMap<NodeId, { match: number }>): number {
  if (voters.length === 0) return 0;
  const matches: number[] = [];
  for (const voter of voters) matches.push(progress.get(voter)?.match ?? 0);
  matches.sort(descending);
  return matches[majority(voters.length) - 1];
}

const descending = (left: number, right: number): number => right - left;

export function voteResult(voters: NodeId[], votes: Map<NodeId, boolean>): VoteResult {
  let granted = 0;
  let rejected = 0;
  for (const voter of voters) {
    const vote = votes.get(voter);
    if (vote === true) granted++;
    else if (vote === false) rejected++;
  }
  const needed = majority(voters.length);
  if (granted >= needed) return "won";
  if (voters.length - rejected < needed) return "lost";
  return "pending";
}

/** Whether the nodes for which `isActive` holds form a majority of the voters. */
export function isQuorumActive(voters: NodeId[], isActive: (node: NodeId) => boolean): boolean {
  return voters.filter(isActive).length >= majority(voters.length);
}
