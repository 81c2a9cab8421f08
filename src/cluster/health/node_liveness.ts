/**
 * Node liveness (docs/glossary.md): whether each node this node talks to is up, judged once per
 * node pair, not per group, so that idle groups can go quiet (raft/quiescence.ts) while a dead or
 * hung node is still noticed within the normal election time.
 *
 * Every heartbeat interval (cluster_limits.ts) this node sends each node it talks to a node
 * heartbeat (transport/types.ts NodeHeartbeat; on the wire schemas/filestore.fbs), which travels in
 * order with that node's messages. A node is *alive* once heard, until nothing was heard from it
 * for nodeLivenessLapseTicks of this node's ticks (it *lapsed*), or until it says its disk is
 * stalled. Time is counted in ticks of the node's tick scheduler, the one its replica drivers tick
 * on, so a replica can tell how many of its own ticks passed since a node was heard; the clock only
 * dates the last heartbeat for readers (bounded reads, /healthz).
 *
 * A stuck disk: given `diskStalledSinceMs` (the runtime's hook, e.g. SharedLog.unfinishedWriteSinceMs),
 * this node says `diskStalled` in its heartbeats once a write has been outstanding for longer than
 * diskStallMsMax, and peers count it as not alive at once: the groups it led elect elsewhere (and
 * its own leaders step down, group_quiescence.ts). This node itself then counts as not alive in
 * isAlive(own id), so its groups do not go quiet either.
 *
 * Every change (a node lapsed, was heard again, said its disk stalled; this node's disk stalled or
 * recovered) is logged and told to every listener (onChange): a node runtime's replica drivers,
 * through the view each group gets (view(), via GroupMultiplexer.livenessOf), which map members to
 * nodes. Changes are rare, so listeners judge for themselves what a change means to them.
 */
import * as limits from "../cluster_limits.ts";
import { formatNodeId } from "../node_id.ts";
import type { NodeId } from "../raft/types.ts";
import type { GroupLiveness } from "../replica/group_quiescence.ts";
import type { TickScheduler } from "../replica/tick_scheduler.ts";
import type { NodeHeartbeat } from "../transport/types.ts";
import { assert } from "../../util/assert.ts";
import type { Clock, Timer } from "../../util/clock.ts";
import { silentLogger, type Logger } from "../../util/logger.ts";

interface NodeLivenessOptions {
  /** This node's id. */
  nodeId: NodeId;
  clock: Clock;
  /** The node's tick scheduler: the one its replica drivers tick on. */
  ticks: TickScheduler;
  /** Queues a node heartbeat for node `to` (NodeTransport.sendHeartbeat). */
  send(to: NodeId, heartbeat: NodeHeartbeat): void;
  /** When this node's oldest unfinished log write started, on `clock`; null when none. Absent: never stalled. */
  diskStalledSinceMs?: () => number | null;
  /** Overrides of cluster_limits.ts (tests). */
  heartbeatIntervalTicks?: number;
  lapseTicks?: number;
  diskStallMsMax?: number;
  logger?: Logger;
}

/** What this node knows of one peer node. */
interface PeerState {
  /** clock.now() of the last heartbeat that said the disk is fine; undefined: none yet. */
  heardMs: number | undefined;
  /** This node's ticks since then (Infinity before the first). */
  ticksSinceHeard: number;
  /** Its last heartbeat said its disk is stalled. */
  diskStalled: boolean;
  alive: boolean;
}

interface LivenessStats {
  heartbeatsSent: number;
  heartbeatsReceived: number;
  /** Times a node lapsed or said its disk stalled; times one came back. */
  lapses: number;
  revivals: number;
}

export class NodeLiveness {
  readonly nodeId: NodeId;
  private readonly peers = new Map<NodeId, PeerState>();
  private readonly listeners = new Set<() => void>();
  private readonly counters: LivenessStats = { heartbeatsSent: 0, heartbeatsReceived: 0, lapses: 0, revivals: 0 };
  private readonly heartbeatIntervalTicks: number;
  private readonly lapseTicks: number;
  private readonly diskStallMsMax: number;
  private readonly logger: Logger;
  private ticks = 0;
  private ticksToHeartbeat = 0;
  private ownDiskStalled = false;
  private timer: Timer | null;

  constructor(private readonly options: NodeLivenessOptions) {
    this.nodeId = options.nodeId;
    this.heartbeatIntervalTicks = options.heartbeatIntervalTicks ?? limits.heartbeatIntervalTicks;
    this.lapseTicks = options.lapseTicks ?? limits.nodeLivenessLapseTicks;
    this.diskStallMsMax = options.diskStallMsMax ?? limits.diskStallMsMax;
    this.logger = options.logger ?? silentLogger;
    assert(this.heartbeatIntervalTicks < this.lapseTicks, "node heartbeats must come more often than a lapse");
    this.timer = options.ticks.register(() => this.tick());
  }

  /** Replaces the nodes this node sends heartbeats to and judges (the nodes its transport talks to). */
  setNodes(nodes: Iterable<NodeId>): void {
    const wanted = new Set([...nodes].filter((node) => node !== this.nodeId));
    let changed = false;
    for (const [node, state] of this.peers) {
      if (wanted.has(node)) continue;
      this.peers.delete(node);
      changed ||= state.alive;
    }
    for (const node of wanted) {
      if (this.peers.has(node)) continue;
      this.peers.set(node, { heardMs: undefined, ticksSinceHeard: Infinity, diskStalled: false, alive: false });
    }
    if (changed) this.notify();
  }

  /** A node heartbeat from `from` arrived. */
  heard(from: NodeId, heartbeat: NodeHeartbeat): void {
    const state = this.peers.get(from);
    if (state === undefined || this.timer === null) return;
    this.counters.heartbeatsReceived++;
    state.diskStalled = heartbeat.diskStalled;
    if (!heartbeat.diskStalled) {
      state.heardMs = this.options.clock.now();
      state.ticksSinceHeard = 0;
    }
    if (this.judge(from, state)) this.notify();
  }

  /** Whether `node` is alive (see the head comment); this node's own id: whether its disk is not stalled. */
  isAlive(node: NodeId): boolean {
    if (node === this.nodeId) return !this.ownDiskStalled;
    return this.peers.get(node)?.alive === true;
  }

  /** This node's ticks since `node` was last heard (alive); 0 for this node, Infinity when never. */
  ticksSinceHeard(node: NodeId): number {
    if (node === this.nodeId) return 0;
    return this.peers.get(node)?.ticksSinceHeard ?? Infinity;
  }

  /** clock.now() when `node` was last heard (alive); now for this node; undefined when never. */
  lastHeardMs(node: NodeId): number | undefined {
    if (node === this.nodeId) return this.options.clock.now();
    return this.peers.get(node)?.heardMs;
  }

  /** Ticks so far. */
  tickCount(): number {
    return this.ticks;
  }

  /** Calls `listener` after every change of any node's liveness, until cancelled. */
  onChange(listener: () => void): { cancel(): void } {
    const entry = (): void => listener();
    this.listeners.add(entry);
    return { cancel: () => this.listeners.delete(entry) };
  }

  /** Liveness as a group sees it: by member, `nodeOf` telling which node runs each (none known: not alive). */
  view(nodeOf: (member: NodeId) => NodeId | undefined): GroupLiveness {
    const node = (member: NodeId): NodeId => nodeOf(member) ?? 0;
    return {
      isAlive: (member) => this.isAlive(node(member)),
      ticksSinceHeard: (member) => this.ticksSinceHeard(node(member)),
      lastHeardMs: (member) => this.lastHeardMs(node(member)),
      tickCount: () => this.ticks,
      onChange: (listener) => this.onChange(listener),
    };
  }

  stats(): LivenessStats {
    return { ...this.counters };
  }

  /** Stops ticking and sending; nothing is judged any more. */
  close(): void {
    this.timer?.cancel();
    this.timer = null;
    this.listeners.clear();
  }

  private tick(): void {
    this.ticks++;
    let changed = this.judgeOwnDisk();
    for (const [node, state] of this.peers) {
      state.ticksSinceHeard++;
      if (this.judge(node, state)) changed = true;
    }
    if (--this.ticksToHeartbeat <= 0) {
      this.ticksToHeartbeat = this.heartbeatIntervalTicks;
      const heartbeat: NodeHeartbeat = { diskStalled: this.ownDiskStalled };
      for (const node of this.peers.keys()) this.options.send(node, heartbeat);
      this.counters.heartbeatsSent += this.peers.size;
    }
    if (changed) this.notify();
  }

  /** Whether this node's own disk stalled or recovered now. */
  private judgeOwnDisk(): boolean {
    const since = this.options.diskStalledSinceMs?.() ?? null;
    const stalledMs = since === null ? 0 : this.options.clock.now() - since;
    const stalled = stalledMs > this.diskStallMsMax;
    if (stalled === this.ownDiskStalled) return false;
    this.ownDiskStalled = stalled;
    if (stalled) {
      const fields = { stalled_ms: Math.round(stalledMs) };
      this.logger.warn("shared log write outstanding too long: telling peers this node's disk is stalled", fields);
    } else {
      this.logger.info("shared log writes finish again: this node's disk is no longer stalled");
    }
    return true;
  }

  /** Updates `state.alive`; returns whether it changed (logged and counted). */
  private judge(node: NodeId, state: PeerState): boolean {
    const alive = state.heardMs !== undefined && state.ticksSinceHeard < this.lapseTicks && !state.diskStalled;
    if (alive === state.alive) return false;
    state.alive = alive;
    const peer = formatNodeId(node);
    if (alive) {
      this.counters.revivals++;
      this.logger.info("node alive", { peer });
    } else {
      this.counters.lapses++;
      const reason = state.diskStalled ? "its disk is stalled" : `nothing heard for ${this.lapseTicks} ticks`;
      this.logger.warn("node not alive", { peer, reason });
    }
    return true;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) if (this.listeners.has(listener)) listener();
  }
}
