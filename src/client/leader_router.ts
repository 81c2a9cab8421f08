/**
 * Sends requests to the leader of a replicated group. It keeps one connection (ClientCore) per
 * server it has talked to, and sends every request to the one it believes leads. Answers that
 * say nothing was done are retried within the request's deadline:
 * - NOT_LEADER with a leader hint: the request goes to the hinted server;
 * - NOT_LEADER without a hint, or UNAVAILABLE (an election is under way): after a short
 *   backoff, to the next server of the list.
 * Both are safe for writes, since such a write was refused before it was proposed. A server
 * whose connection is down is skipped. Other answers, and client-side failures (TIMEOUT,
 * UNKNOWN_OUTCOME), are returned as they are: a write whose outcome is unknown is never resent
 * to another server.
 */
import type { RequestBody } from "../net/messages.ts";
import { formatAddress, parseAddress, type Address } from "./address.ts";
import { ClientCore } from "./client.ts";
import type { ResolvedClientOptions } from "./client_options.ts";
import { FileStoreError } from "./errors.ts";
import { wholeReply, type ReplyReader } from "./pending_requests.ts";
import { sleep } from "./sleep.ts";
import type { RequestOptions } from "./types.ts";
import type { ScanSource } from "./scan_source.ts";

/** First wait before retrying during an election, doubled up to the max: elections take ~0.2-0.6 s. */
const retryDelayMsInitial = 10;
const retryDelayMsMax = 100;

export interface RequestSender {
  /** Sends `body`; resolves with what `read` makes of the reply (see ClientCore.request). */
  request<T>(body: RequestBody, options: RequestOptions | undefined, read: ReplyReader<T>): Promise<T>;
  close(): Promise<void>;
  /** Where scans take their pages when the sender routes them (a sharded cluster); absent: unrouted, one piece. */
  readonly scanSource?: ScanSource;
}

export class LeaderRouter implements RequestSender {
  private readonly cores = new Map<string, ClientCore>();
  /** Connections being opened, by address: requests that need one meanwhile wait for the same one. */
  private readonly opening = new Map<string, Promise<ClientCore | null>>();
  private readonly addresses: string[];
  private leader: string;
  private closed = false;

  private constructor(addresses: string[], private readonly options: ResolvedClientOptions, first: string, core: ClientCore) {
    this.addresses = [...addresses];
    this.leader = first;
    this.cores.set(first, core);
  }

  /** The router of the group at `addresses`, starting with `core`, a connection open to `first` (one of them). */
  static adopt(addresses: Address[], options: ResolvedClientOptions, first: Address, core: ClientCore): LeaderRouter {
    return new LeaderRouter(addresses.map(formatAddress), options, formatAddress(first), core);
  }

  async request<T>(body: RequestBody, options: RequestOptions = {}, read: ReplyReader<T>): Promise<T> {
    const deadlineMs = performance.now() + (options.timeoutMs ?? this.options.timeoutMs);
    let delayMs = retryDelayMsInitial;
    let target = this.leader;
    while (true) {
      const remainingMs = deadlineMs - performance.now();
      if (remainingMs <= 0) throw new FileStoreError("TIMEOUT", "no leader answered within the deadline");
      const core = await this.coreFor(target, remainingMs);
      const reply = core === null ? null : await core.request(body, { ...options, timeoutMs: remainingMs }, wholeReply);
      if (reply !== null && reply.status === "NOT_LEADER" && reply.leaderHint !== "" && reply.leaderHint !== target) {
        target = this.leader = reply.leaderHint;
        continue;
      }
      if (reply !== null && reply.status !== "NOT_LEADER" && reply.status !== "UNAVAILABLE") {
        this.leader = target;
        return read(reply);
      }
      if (reply !== null && performance.now() + delayMs >= deadlineMs) return read(reply);
      await sleep(delayMs);
      delayMs = Math.min(delayMs * 2, retryDelayMsMax);
      target = this.nextAddress(target);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.cores.values()].map((core) => core.close()));
    this.cores.clear();
  }

  /**
   * The connection to `address`, opened on first use, one opening at a time (the requests of a
   * burst redirected together share it; a second connection would be left unclosed, reconnecting
   * for ever); null when it is down or cannot be opened.
   */
  private coreFor(address: string, timeoutMs: number): Promise<ClientCore | null> {
    if (this.closed) return Promise.reject(new FileStoreError("CLOSED", "the client is closed"));
    const existing = this.cores.get(address);
    if (existing !== undefined) return Promise.resolve(existing.connected ? existing : null);
    let opening = this.opening.get(address);
    if (opening === undefined) {
      opening = this.openCore(address, timeoutMs).finally(() => this.opening.delete(address));
      this.opening.set(address, opening);
    }
    return opening;
  }

  private async openCore(address: string, timeoutMs: number): Promise<ClientCore | null> {
    let parsed: Address;
    try {
      parsed = parseAddress(address);
    } catch {
      return null; // a hint this client cannot use: try the list instead
    }
    const core = new ClientCore([parsed], { ...this.options, connectTimeoutMs: Math.min(this.options.connectTimeoutMs, timeoutMs) });
    try {
      await core.start();
    } catch {
      return null;
    }
    if (this.closed) {
      await core.close();
      return null;
    }
    this.cores.set(address, core);
    if (!this.addresses.includes(address)) this.addresses.push(address);
    return core;
  }

  private nextAddress(current: string): string {
    const position = this.addresses.indexOf(current);
    return this.addresses[(position + 1) % this.addresses.length]!;
  }
}
