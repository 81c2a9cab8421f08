/**
 * Which node leads each shard, as far as this node has been told: not part of the coordinator's
 * replicated state (leaders change with every election, far too often to go through the meta
 * group's log), but reported beside it, best-effort, by whoever observes a leader (a node of its
 * own replicas' groups; later, reports gathered from other nodes). A hint may be stale; a client
 * routed by it is answered NOT_LEADER with a better hint.
 *
 * Raft elects at most one leader per term (§5.2), so a report of a term below the one known is
 * older news and ignored; a report of "no leader" (noNode) in a newer term clears the hint.
 */
import type { ShardId } from "../placement/shard_map.ts";
import { noNode, type NodeId } from "../raft/types.ts";
import { assert } from "../../util/assert.ts";

interface Hint {
  readonly leader: NodeId;
  readonly term: number;
}

export class LeaderHints {
  private readonly hints = new Map<ShardId, Hint>();

  /** Records that `leader` (noNode: none known) leads `shard` in `term`; whether the hint changed. */
  report(shard: ShardId, leader: NodeId, term: number): boolean {
    assert(Number.isSafeInteger(term) && term >= 0, "a term is a non-negative integer");
    const known = this.hints.get(shard);
    if (known !== undefined && (term < known.term || (term === known.term && leader === known.leader))) return false;
    // In one term, a leader known beats "none known" (a node may report before it hears of the winner).
    if (known !== undefined && term === known.term && leader === noNode) return false;
    this.hints.set(shard, { leader, term });
    return true;
  }

  /** The leader last reported for `shard`, if one is known. */
  leaderOf(shard: ShardId): NodeId | undefined {
    const leader = this.hints.get(shard)?.leader;
    return leader === noNode ? undefined : leader;
  }
}
