/**
 * Makes a follower's addresses known to the whole group: a leader writes its own addresses to
 * the log when it takes over (member_address_book.ts), but a follower cannot write; so, while its
 * addresses are missing or stale in the replicated member table, it asks the leader's admin
 * endpoint (POST /cluster/announce) to write them. `filestore status` then reaches every member.
 */
import type { MemberAddresses } from "./entry_payload_codec.ts";
import { formatNodeId } from "./node_id.ts";
import type { KeyValueDriver } from "./key_value_replica.ts";
import type { Timer } from "../util/clock.ts";

/**
 * How often a follower checks that its addresses are in the log. The check is local (a request
 * goes out only while they are missing), so it can be frequent: `filestore status` run right
 * after a start then finds every member's address within a fraction of a second.
 */
const announceCheckIntervalMs = 100;
/** One announcement request waits at most this long; the next check retries. */
const announceTimeoutMs = 2000;

export class SelfAnnouncer {
  private readonly timer: Timer;
  private inFlight = false;

  constructor(
    private readonly driver: KeyValueDriver,
    private readonly self: () => MemberAddresses,
  ) {
    this.timer = driver.clock.every(announceCheckIntervalMs, () => void this.check());
  }

  close(): void {
    this.timer.cancel();
  }

  private async check(): Promise<void> {
    if (this.inFlight || this.driver.isLeader()) return;
    const self = this.self();
    const known = this.driver.machine.members.get(this.driver.nodeId);
    const { voters, learners } = this.driver.status().confState;
    if (self.clientAddress === "" || ![...voters, ...learners].includes(this.driver.nodeId)) return;
    if (known !== undefined && known.clientAddress === self.clientAddress && known.adminAddress === self.adminAddress && known.peerAddress === self.peerAddress) return;
    const leaderAdmin = this.driver.machine.members.get(this.driver.leaderId())?.adminAddress ?? "";
    if (leaderAdmin === "") return;
    this.inFlight = true;
    try {
      const query = new URLSearchParams({ node: formatNodeId(this.driver.nodeId), client: self.clientAddress, admin: self.adminAddress, peer: self.peerAddress });
      await fetch(`http://${leaderAdmin}/cluster/announce?${query}`, { method: "POST", signal: AbortSignal.timeout(announceTimeoutMs) });
    } catch {
      // The leader moved or is unreachable: the next check tries again.
    } finally {
      this.inFlight = false;
    }
  }
}
