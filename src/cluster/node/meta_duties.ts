/**
 * What every node of a sharded cluster does for the coordinator, checked on a slow timer until
 * done and again after every change:
 * - bootstrap: the meta group's leader of a new cluster proposes the bootstrap command (the
 *   nodes of --peers, the shard count, replication factor and coordinator voters). Every node
 *   started with the same --peers proposes the same one if it leads; the second is refused as
 *   ALREADY_BOOTSTRAPPED and changes nothing;
 * - its own addresses: once its client and admin ports are bound, a node whose record in the
 *   node list does not hold its addresses proposes addNode with them (idempotent), forwarded to
 *   the meta leader when it is not it (meta_proposer.ts);
 * - up: a node that joined a running cluster (`serve --join`, recorded as joining) proposes
 *   markNode up once its copy of the coordinator shows its own record with its addresses: it
 *   is caught up with the coordinator and reachable, so replicas may be placed on it.
 * A node waits for its own record in its copy before proposing anything for itself (a joining
 * node's copy starts empty: it learns the leader, and the leader's admin address, from it).
 * Failures are logged once per kind of failure and retried on the next check.
 */
import type { MemberAddresses } from "../entry_payload_codec.ts";
import type { NodeId } from "../raft/types.ts";
import type { CoordinatorCommand } from "../meta/coordinator_command.ts";
import type { CoordinatorMachine } from "../meta/coordinator_machine.ts";
import type { Clock, Timer } from "../../util/clock.ts";
import { errorText, type Logger } from "../../util/logger.ts";
import type { MetaDriver, MetaProposer } from "./meta_proposer.ts";

/** Between checks: bootstrap and address announcements are rare, and a check costs a few comparisons. */
const dutyCheckIntervalMs = 200;

export class MetaDuties {
  private addresses: MemberAddresses | null = null;
  private busy = false;
  private lastFailure = "";
  private readonly timer: Timer;

  constructor(
    private readonly driver: MetaDriver,
    private readonly proposer: MetaProposer,
    /** This node as the node list names it. */
    private readonly self: { id: NodeId; name: string },
    /** The bootstrap command this node would propose for a new cluster; null for a node joining a running one. */
    private readonly bootstrap: Extract<CoordinatorCommand, { kind: "bootstrap" }> | null,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.timer = clock.every(dutyCheckIntervalMs, () => this.check());
  }

  private get coordinator(): CoordinatorMachine {
    return this.driver.machine;
  }

  /** This node's addresses, once its ports are bound. */
  setAddresses(addresses: MemberAddresses): void {
    this.addresses = { ...addresses };
    this.check();
  }

  close(): void {
    this.timer.cancel();
  }

  /** Runs the next duty due, one at a time. */
  check(): void {
    if (this.busy) return;
    const command = this.due();
    if (command === null) return;
    this.busy = true;
    this.proposer.propose(command).then(
      (outcome) => {
        if (outcome.ok || outcome.code === "ALREADY_BOOTSTRAPPED") return;
        this.noteFailure(`${command.kind} refused: ${outcome.code} ${outcome.message}`);
      },
      (error: unknown) => this.noteFailure(`${command.kind}: ${errorText(error)}`),
    ).finally(() => {
      this.busy = false;
    });
  }

  private due(): CoordinatorCommand | null {
    if (!this.coordinator.bootstrapped) return this.driver.isLeader() ? this.bootstrap : null;
    const { id, name } = this.self;
    const addresses = this.addresses;
    const record = this.coordinator.node(id);
    if (addresses === null || record === undefined) return null;
    const known = record.addresses;
    const same = known.clientAddress === addresses.clientAddress
      && known.adminAddress === addresses.adminAddress && known.peerAddress === addresses.peerAddress;
    if (!same) return { kind: "addNode", node: { id, name, addresses } };
    return record.state === "joining" ? { kind: "markNode", node: id, state: "up" } : null;
  }

  private noteFailure(text: string): void {
    if (text === this.lastFailure) return;
    this.lastFailure = text;
    this.logger.warn("coordinator duty not done yet; retrying", { reason: text });
  }
}
