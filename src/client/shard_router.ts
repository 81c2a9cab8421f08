/**
 * The routing client of a sharded cluster: each request goes straight to the leader of its key's
 * shard (partition key → hash → shard → that shard's leader's connection), one connection per
 * node, pipelined as on a single server. Every request names the shard and epoch it was routed
 * by. Redirects are retried within the request's deadline:
 * - NOT_LEADER with a hint: to the hinted replica, which is remembered as the shard's leader;
 *   without one, and UNAVAILABLE (an election), after a short backoff, to the next replica;
 * - WRONG_SHARD: the descriptors it carries are patched into the map (that entry only), and the
 *   request routed again; when they teach nothing (none given, or none newer than the map), the
 *   whole map is fetched again, one fetch at a time for every request waiting (map_refresh.ts).
 * A request that gets no reply in time (a hung or paused node) fails as before (TIMEOUT, or
 * UNKNOWN_OUTCOME for a write), and its shard's later requests go to the next replica.
 * A write keeps its (session, sequence) on every attempt (write_session.ts), so a node
 * deduplicates it however it got there (an UNAVAILABLE write may have been proposed before the
 * node lost its leadership). What is never retried: a write whose outcome is unknown
 * (no answer in time, or a connection lost and its server restarted: UNKNOWN_OUTCOME, from the
 * connection itself, client.ts), and any other answer, which goes back to the caller as it is.
 *
 * A batch whose keys lie in more than one shard is refused before sending (INVALID_REQUEST naming
 * the shards): atomicity across shards comes with transactions. Scans visit shards through
 * scanSource (merged_scan.ts).
 */
import type { ScanOptions } from "../engine/types.ts";
import type { Reply, RequestBody } from "../net/messages.ts";
import type { HashRange } from "../cluster/placement/hash_range.ts";
import type { ShardDescriptor } from "../cluster/placement/shard_map.ts";
import { ShardMapError } from "../cluster/placement/shard_map_error.ts";
import type { Attempt, ClientCore } from "./client.ts";
import type { ResolvedClientOptions } from "./client_options.ts";
import { sameShard, type ClusterView, type ShardRoute } from "./cluster_view.ts";
import { FileStoreError } from "./errors.ts";
import { MapRefresh } from "./map_refresh.ts";
import { NodeConnections } from "./node_connections.ts";
import { invalidArgument } from "./option_checks.ts";
import { isRedirectStatus, wholeReply, type Redirect, type ReplyReader } from "./pending_requests.ts";
import type { RequestSender } from "./leader_router.ts";
import type { PiecePage, ScanPiece, ScanSource } from "./scan_source.ts";
import { coversRange, intersectRanges, subtractRanges } from "./scan_ranges.ts";
import { sleep } from "./sleep.ts";
import { assert } from "../util/assert.ts";
import type { RequestOptions } from "./types.ts";
import { WriteSession } from "./write_session.ts";

/** First wait before retrying during an election or a move, doubled up to the max: elections take ~0.2-0.6 s. */
const retryDelayMsInitial = 10;
const retryDelayMsMax = 100;
const noOptions: RequestOptions = {};

/** One call of the routing client, across its attempts: what it sends, where it went last, its deadline. */
class RoutedCall<T> implements Attempt, Redirect {
  shard = 0;
  shardEpoch = 0;
  sequence = 0;
  oldestPendingSequence = 0;
  redirect: Redirect | null = this;
  /** The map's generation when the call was last routed. */
  generation = 0;
  /** The replica the last attempt went to. */
  target: string | null = null;
  route: ShardRoute | null = null;
  delayMs = retryDelayMsInitial;
  /** NOT_LEADER hints followed: the first at once, later ones after a backoff (stale replicas may name each other). */
  hintsFollowed = 0;

  /**
   * `key` routes the call; `batchKeys` are all the keys of a batch, which must lie in the key's
   * shard (null for other requests).
   */
  constructor(
    private readonly router: ShardRouter, readonly body: RequestBody, readonly key: Uint8Array,
    readonly batchKeys: readonly Uint8Array[] | null, readonly options: RequestOptions, readonly read: ReplyReader<T>,
    readonly deadlineAtMs: number,
  ) {}

  redirected(reply: Reply): Promise<unknown> {
    return this.router.retry(this, reply);
  }

  /** No reply in time from the replica believed to lead: later requests of the shard try the next one. */
  silent(): void {
    const route = this.route;
    if (route !== null && this.target !== null && route.leader === this.target) route.tryNextReplica();
  }
}

export class ShardRouter implements RequestSender {
  readonly scanSource: ScanSource = {
    plan: (within, done) => this.plan(within, done),
    page: (piece, request, options) => this.page(piece, request, options),
  };
  private readonly connections: NodeConnections;
  private readonly refresher: MapRefresh;
  private closed = false;

  /**
   * The router of the cluster `view` describes, writing in `session`; `first` is the connection
   * the map came over (made in that session), kept for requests to its address.
   */
  constructor(
    private readonly view: ClusterView, private readonly options: ResolvedClientOptions,
    private readonly session: WriteSession, first?: { address: string; core: ClientCore },
  ) {
    this.connections = new NodeConnections(options, session.sessionId);
    if (first !== undefined) this.connections.adopt(first.address, first.core);
    this.refresher = new MapRefresh(() => this.fetchMap(), () => this.view.generation, sleep);
    this.refresher.noteFetched();
    this.connections.openAll(view.nodeAddresses());
  }

  request<T>(body: RequestBody, options: RequestOptions = noOptions, read: ReplyReader<T>): Promise<T> {
    if (this.closed) return Promise.reject(new FileStoreError("CLOSED", "the client is closed"));
    let key: Uint8Array;
    let batchKeys: readonly Uint8Array[] | null = null;
    try {
      if (body.kind === "get") {
        key = body.key;
      } else if (body.kind === "write") {
        const command = body.command;
        batchKeys = command.op === "batch" ? command.commands.map((inner) => inner.key) : null;
        key = batchKeys?.[0] ?? (command as { key: Uint8Array }).key;
        this.checkOneShard(batchKeys);
      } else {
        throw new FileStoreError("INTERNAL", `a ${body.kind} request is not routed by key`);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    const deadlineAtMs = performance.now() + (options.timeoutMs ?? this.options.timeoutMs);
    const call = new RoutedCall(this, body, key, batchKeys, options, read, deadlineAtMs);
    if (body.kind !== "write") return this.firstAttempt(call);
    const sequence = this.session.begin();
    call.sequence = sequence;
    const promise = this.firstAttempt(call);
    const end = () => this.session.end(sequence);
    promise.then(end, end);
    return promise;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.connections.close();
  }

  /** The first attempt, sent in this turn when the leader's connection is open (the common case). */
  private firstAttempt<T>(call: RoutedCall<T>): Promise<T> {
    const route = this.routeCall(call);
    const core = this.readyConnection(route);
    if (core === null) return this.retry(call, null);
    call.target = route.leader;
    return core.request(call.body, call.options, call.read, call);
  }

  private routeCall(call: RoutedCall<unknown>): ShardRoute {
    const route = this.view.routeOf(call.key);
    call.route = route;
    call.shard = route.descriptor.id;
    call.shardEpoch = route.descriptor.epoch;
    call.generation = this.view.generation;
    if (call.body.kind === "write") call.oldestPendingSequence = this.session.oldestPending();
    return route;
  }

  private readyConnection(route: ShardRoute): ClientCore | null {
    const known = route.connection;
    if (known !== null && known.connected) return known;
    route.connection = route.leader === null ? null : this.connections.ready(route.leader);
    return route.connection;
  }

  /**
   * Later attempts, after `reply` (a redirect) or when no connection was open: learn from the
   * reply, route again, send, until an answer that is not a redirect or the deadline.
   */
  async retry<T>(call: RoutedCall<T>, reply: Reply | null): Promise<T> {
    assert(reply === null || isRedirectStatus(reply.status), "only redirects are retried");
    call.redirect = null;
    let last = reply;
    while (true) {
      if (last !== null) {
        const waitMs = await this.learn(call, last);
        if (performance.now() + waitMs >= call.deadlineAtMs) return call.read(last);
        if (waitMs > 0) await sleep(waitMs);
      }
      const remainingMs = call.deadlineAtMs - performance.now();
      if (remainingMs <= 0) throw new FileStoreError("TIMEOUT", "no replica of the shard answered within the deadline");
      this.checkOneShard(call.batchKeys);
      const route = this.routeCall(call);
      const core = await this.openConnection(route, remainingMs);
      if (core === null) {
        // No replica's address known (a map from a cluster still starting): a newer map may name them.
        if (route.leader === null) await this.refresher.refresh(call.generation);
        route.tryNextReplica();
        if (performance.now() + call.delayMs >= call.deadlineAtMs) throw unreachedBy(call);
        await sleep(this.backoff(call));
        // The last reply is learnt already: learnt again, its hint would send the call back to
        // the node just found unreachable (a leader that died, named by a follower not yet aware).
        last = null;
        continue;
      }
      call.target = route.leader;
      try {
        last = await core.request(call.body, { ...call.options, timeoutMs: remainingMs }, wholeReply, call);
      } catch (error) {
        const code = error instanceof FileStoreError ? error.code : null;
        if (code === "TIMEOUT" || code === "UNKNOWN_OUTCOME") call.silent();
        throw error;
      }
      if (!isRedirectStatus(last.status)) return call.read(last);
    }
  }

  /** What a redirect teaches (leader, map); returns how long to wait before the next attempt. */
  private async learn(call: RoutedCall<unknown>, reply: Reply): Promise<number> {
    const route = call.route!;
    if (reply.status === "NOT_LEADER" && reply.leaderHint !== "" && reply.leaderHint !== call.target) {
      route.follow(reply.leaderHint);
      return call.hintsFollowed++ === 0 ? 0 : this.backoff(call);
    }
    if (reply.status !== "WRONG_SHARD") {
      route.tryNextReplica();
      return this.backoff(call);
    }
    const result = reply.result;
    const patched = result.kind === "wrongShard" && this.view.patch(result.shards, result.nodes);
    if (patched && !this.routesAsBefore(call)) return 0;
    await this.refresher.refresh(call.generation);
    return this.routesAsBefore(call) ? this.backoff(call) : 0;
  }

  /** Whether the call's key still routes to the shard (and epoch) it last went to. */
  private routesAsBefore(call: RoutedCall<unknown>): boolean {
    return sameShard(this.view.shardOf(call.key), call.route!.descriptor);
  }

  private backoff(call: RoutedCall<unknown>): number {
    const delayMs = call.delayMs;
    call.delayMs = Math.min(delayMs * 2, retryDelayMsMax);
    return delayMs;
  }

  private async openConnection(route: ShardRoute, timeoutMs: number): Promise<ClientCore | null> {
    const ready = this.readyConnection(route);
    if (ready !== null || route.leader === null) return ready;
    const core = await this.connections.open(route.leader, timeoutMs);
    if (core !== null && route.connection === null) route.connection = core;
    return core;
  }

  /** INVALID_REQUEST naming the shards when the keys (a batch's) lie in more than one. */
  private checkOneShard(keys: readonly Uint8Array[] | null): void {
    if (keys === null || keys.length < 2) return;
    const shards = new Map<number, Uint8Array>();
    for (const key of keys) {
      const shard = this.view.shardOf(key);
      if (!shards.has(shard.id)) shards.set(shard.id, key);
    }
    if (shards.size === 1) return;
    const named = [...shards].map(([id, key]) => `${id} (key ${JSON.stringify(new TextDecoder().decode(key))})`);
    throw invalidArgument("operations", `batch spans shards ${named.join(", ")}: a batch must lie in one shard `
      + "(atomicity across shards comes with transactions); keys with one partition key (up to the second /) "
      + "share a shard");
  }

  /** Fetches the whole map from the first node that answers and adopts it; gives up quietly (callers retry). */
  private async fetchMap(): Promise<void> {
    for (const core of await this.someConnections()) {
      let reply: Reply;
      try {
        reply = await core.request({ kind: "shardMap" }, { timeoutMs: this.options.timeoutMs }, wholeReply);
      } catch {
        continue;
      }
      if (reply.status !== "OK" || reply.result.kind !== "shardMap" || reply.result.map === null) continue;
      try {
        this.view.adopt(reply.result.map);
      } catch (error) {
        if (error instanceof ShardMapError) continue;
        throw error;
      }
      this.connections.openAll(this.view.nodeAddresses());
      return;
    }
  }

  /** The open connections, or when none is open, the first one that opens of the nodes known. */
  private async someConnections(): Promise<ClientCore[]> {
    const open = this.connections.openConnections();
    if (open.length > 0) return open;
    for (const address of this.view.nodeAddresses()) {
      const core = await this.connections.open(address, this.options.connectTimeoutMs);
      if (core !== null) return [core];
    }
    return [];
  }

  private plan(within: HashRange, done: readonly HashRange[]): ScanPiece[] {
    const pieces: ScanPiece[] = [];
    for (const shard of this.view.shards) {
      const part = intersectRanges(within, shard.range);
      if (part === null) continue;
      for (const range of subtractRanges(part, done)) {
        pieces.push({ range, shard: shard.id, shardEpoch: shard.epoch, partial: !coversRange(range, shard.range) });
      }
    }
    return pieces;
  }

  /** A page of `piece`, from its shard's leader; null once the shard no longer serves the piece as planned. */
  private async page(piece: ScanPiece, request: ScanOptions, options: RequestOptions): Promise<PiecePage | null> {
    const deadlineAtMs = performance.now() + (options.timeoutMs ?? this.options.timeoutMs);
    const body: RequestBody = { kind: "scan", options: request };
    while (true) {
      const descriptor = this.shardServing(piece);
      if (descriptor === null) return null;
      const call = new RoutedCall(this, body, new Uint8Array(0), null, options, wholeReply, deadlineAtMs);
      const reply = await this.sendTo(call, descriptor);
      if (reply.status === "OK" && reply.result.kind === "scan") return reply.result;
      if (reply.status !== "WRONG_SHARD") {
        throw new FileStoreError(reply.status === "OK" ? "INTERNAL" : reply.status, reply.message, reply.leaderHint);
      }
      const result = reply.result;
      const patched = result.kind === "wrongShard" && this.view.patch(result.shards, result.nodes);
      if (!patched) await this.refresher.refresh(call.generation);
      if (this.shardServing(piece) === null) return null;
      if (performance.now() + call.delayMs >= deadlineAtMs) throw new FileStoreError("WRONG_SHARD", reply.message);
      await sleep(this.backoff(call));
    }
  }

  /** The map's descriptor for the piece when it is still the one the piece was planned by; null otherwise. */
  private shardServing(piece: ScanPiece): ShardDescriptor | null {
    const descriptor = this.view.shards.find((shard) => shard.id === piece.shard && shard.epoch === piece.shardEpoch);
    return descriptor !== undefined && coversRange(descriptor.range, piece.range) ? descriptor : null;
  }

  /** Sends `call` to `descriptor`'s leader, following NOT_LEADER, waiting out UNAVAILABLE; returns any other answer. */
  private async sendTo(call: RoutedCall<Reply>, descriptor: ShardDescriptor): Promise<Reply> {
    const route = this.view.routeOfShard(descriptor);
    call.route = route;
    call.shard = descriptor.id;
    call.shardEpoch = descriptor.epoch;
    call.generation = this.view.generation;
    call.redirect = null;
    while (true) {
      const remainingMs = call.deadlineAtMs - performance.now();
      if (remainingMs <= 0) throw new FileStoreError("TIMEOUT", "no replica of the shard answered within the deadline");
      const core = await this.openConnection(route, remainingMs);
      if (core !== null) {
        call.target = route.leader;
        const reply = await core.request(call.body, { ...call.options, timeoutMs: remainingMs }, wholeReply, call);
        if (reply.status === "WRONG_SHARD" || !isRedirectStatus(reply.status)) return reply;
        if (reply.status === "NOT_LEADER" && reply.leaderHint !== "" && reply.leaderHint !== call.target) {
          route.follow(reply.leaderHint);
          if (call.hintsFollowed++ === 0) continue;
          await sleep(this.backoff(call));
          continue;
        }
      }
      route.tryNextReplica();
      if (performance.now() + call.delayMs >= call.deadlineAtMs) throw unreachedBy(call);
      await sleep(this.backoff(call));
    }
  }
}

/** TIMEOUT for a call that found no replica of its shard to answer within its deadline (nothing was applied). */
function unreachedBy(call: RoutedCall<unknown>): FileStoreError {
  return new FileStoreError("TIMEOUT", `no replica of shard ${call.shard} could be reached within the deadline`);
}
