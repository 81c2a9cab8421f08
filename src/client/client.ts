/**
 * The FileStore client: one connection at a time to one of the given addresses, many requests
 * pipelined on it, each with its own deadline. After a lost connection it reconnects (trying
 * each address, with backoff) and sends again what is safe:
 * - reads and requests never sent: always;
 * - writes already sent: only when the server is the same process as before (same instance id
 *   in its ping reply), with their original (session, sequence) so it deduplicates them;
 *   otherwise they fail with UNKNOWN_OUTCOME. A write is never silently applied twice.
 */
import * as flatbuffers from "flatbuffers";
import { noResult, type Reply, type Request, type RequestBody } from "../net/messages.ts";
import { encodeGetFrame } from "../net/get_request_layout.ts";
import { encodePutFrame } from "../net/put_request_layout.ts";
import { encodeRequest } from "../net/request_encoder.ts";
import type { DecodedResponse } from "../net/response_codec.ts";
import type { Address } from "./address.ts";
import { FileStoreError } from "./errors.ts";
import {
  PendingRequests, wholeReply, type PendingRequest, type Redirect, type ReplyReader,
} from "./pending_requests.ts";
import type { ResolvedClientOptions } from "./client_options.ts";
import type { RequestOptions } from "./types.ts";
import { WireConnection } from "./wire_connection.ts";
import { newSessionId } from "./session_id.ts";
import { sleep } from "./sleep.ts";

/**
 * One attempt of a routed request (shard_router.ts): the shard and epoch it names, the identity a
 * write keeps on every attempt (a sequence of the connection's session, which the routing client
 * shares between its connections), and who takes a redirect reply.
 */
export interface Attempt {
  readonly shard: number;
  readonly shardEpoch: number;
  /** A write's sequence, the same on every attempt; ignored for reads. */
  readonly sequence: number;
  /** The session's oldest pending sequence (WriteSession.oldestPending) when the attempt is made. */
  readonly oldestPendingSequence: number;
  readonly redirect: Redirect | null;
}

/** Reconnect backoff: first wait, doubling up to the max, so a restarting server is not hammered. */
const reconnectDelayMsInitial = 5;
const reconnectDelayMsMax = 500;
/** How often request deadlines are checked; a deadline may fire this much late. */
const deadlineSweepIntervalMs = 10;
const builderBytesInitial = 64 * 1024;
const noOptions: RequestOptions = {};

/*
 * One executor for every request's promise: it hands the promise's settle functions to the
 * caller through these two variables (the executor runs synchronously inside the constructor),
 * so no closure is made per request.
 */
let capturedResolve: (value: unknown) => void = () => {};
let capturedReject: (error: unknown) => void = () => {};
function captureSettlers(resolve: (value: never) => void, reject: (error: unknown) => void): void {
  capturedResolve = resolve as (value: unknown) => void;
  capturedReject = reject;
}

export class ClientCore {
  private readonly pending = new PendingRequests();
  private readonly builder = new flatbuffers.Builder(builderBytesInitial);
  private readonly sessionId: Uint8Array;
  private connection: WireConnection | null = null;
  private serverInstanceId: Uint8Array | null = null;
  private nextRequestId = 1;
  private nextSequence = 1;
  private nextAddress = 0;
  private reconnecting: Promise<void> | null = null;
  private closed = false;
  /** close() was called: no new requests; those pending settle (each by its deadline at the latest). */
  private closing = false;
  /** Checks deadlines while requests are pending; none runs while the client is idle. */
  private sweepTimer: ReturnType<typeof setInterval> | null = null;

  /** `sessionId`: the session its writes belong to, when other connections share it (the routing client's). */
  constructor(private readonly addresses: Address[], readonly options: ResolvedClientOptions, sessionId?: Uint8Array) {
    this.sessionId = sessionId ?? newSessionId();
  }

  /** Connects to the first address that answers a ping; throws UNAVAILABLE when none does. */
  async start(): Promise<void> {
    const reasons = await this.open();
    if (reasons !== null) throw noServerReached(reasons);
  }

  /**
   * Connects to the first address that answers a ping. Returns null, or when none does, why
   * each failed ("host:port: reason"); the client is then closed.
   */
  async open(): Promise<string[] | null> {
    const reasons: string[] = [];
    for (let attempt = 0; attempt < this.addresses.length; attempt++) {
      const reason = await this.tryConnect();
      if (reason === null) return null;
      reasons.push(reason);
    }
    this.shutDown();
    return reasons;
  }

  /** Whether a connection to the server is open now (false while reconnecting). */
  get connected(): boolean {
    return this.connection !== null && this.connection.isOpen;
  }

  /**
   * Sends one request and resolves with what `read` makes of its reply (any status reaches
   * `read`, but for the redirects an attempt's `redirect` takes); rejects with client-side
   * failures and with whatever `read` throws. Without `attempt` the request is not routed and a
   * write gets the next sequence of this connection's own session; with it (the routing client),
   * the request names the attempt's shard and epoch and a write keeps the attempt's identity.
   */
  request<T>(
    body: RequestBody, options: RequestOptions | undefined, read: ReplyReader<T>, attempt?: Attempt,
  ): Promise<T> {
    options ??= noOptions;
    if (this.closed || this.closing) return Promise.reject(new FileStoreError("CLOSED", "the client is closed"));
    if (this.pending.unsentCount >= this.options.queuedRequestsMax) {
      return Promise.reject(new FileStoreError("OVERLOADED", `${this.options.queuedRequestsMax} requests already queued`));
    }
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    const requestId = this.nextRequestId++;
    const consistency = options.consistency ?? "strong";
    const maxStalenessMs = options.maxStalenessMs ?? 0;
    const deadlineMs = Math.min(Math.ceil(timeoutMs), 0xffff_ffff);
    const shard = attempt?.shard ?? 0;
    const shardEpoch = attempt?.shardEpoch ?? 0;
    const redirect = attempt?.redirect ?? null;
    // Each frame is kept to be resent after a reconnect. A plain get (the most common request)
    // is laid out by hand, without a Request object or a Builder.
    if (body.kind === "get" && options.trace === undefined) {
      const frame = encodeGetFrame(requestId, consistency, maxStalenessMs, deadlineMs, shard, shardEpoch, body.key);
      if (frame.length - 4 > this.options.frameSizeBytesMax) return this.frameTooLarge(frame);
      return this.enqueue(requestId, frame, false, 0, timeoutMs, read, redirect);
    }
    const isWrite = body.kind === "write";
    const sequence = isWrite ? (attempt?.sequence ?? this.nextSequence++) : 0;
    const request: Request = {
      requestId,
      consistency,
      maxStalenessMs,
      deadlineMs,
      sessionId: isWrite ? this.sessionId : null,
      sequence,
      // Writes older than every one still unanswered are never resent: the server may forget them.
      oldestPendingSequence: isWrite ? this.oldestPendingSequence(attempt, sequence) : 0,
      shard,
      shardEpoch,
      trace: options.trace ?? null,
      body,
    };
    const frame = this.encode(request);
    if (!(frame instanceof Uint8Array)) return frame;
    return this.enqueue(requestId, frame, isWrite, sequence, timeoutMs, read, redirect);
  }

  /** The oldest pending sequence a write carries: the routing client's session's, or this connection's own. */
  private oldestPendingSequence(attempt: Attempt | undefined, sequence: number): number {
    return attempt?.oldestPendingSequence ?? this.pending.oldestWriteSequence() ?? sequence;
  }

  /** The frame of `request`, or the rejection of one over the frame limit. */
  private encode(request: Request): Uint8Array | Promise<never> {
    const body = request.body;
    // Refuse before encoding what cannot fit; the exact check follows on the encoded frame.
    if (payloadBytes(body) > this.options.frameSizeBytesMax) {
      return Promise.reject(new FileStoreError("TOO_LARGE", `request carries more than the ${this.options.frameSizeBytesMax}-byte frame limit`));
    }
    // A put (the commonest write) is laid out by hand, without the Builder.
    const frame = body.kind === "write" && body.command.op === "put" && request.trace === null
      ? encodePutFrame({ ...request, sessionId: this.sessionId, key: body.command.key, value: body.command.value })
      : encodeRequest(this.builder, request).slice();
    if (frame.length - 4 > this.options.frameSizeBytesMax) return this.frameTooLarge(frame);
    return frame;
  }

  private frameTooLarge(frame: Uint8Array): Promise<never> {
    return Promise.reject(new FileStoreError("TOO_LARGE", `request of ${frame.length} bytes is over the ${this.options.frameSizeBytesMax}-byte frame limit`));
  }

  private enqueue<T>(
    requestId: number, frame: Uint8Array, isWrite: boolean, sequence: number, timeoutMs: number, read: ReplyReader<T>,
    redirect: Redirect | null,
  ): Promise<T> {
    const promise = new Promise<T>(captureSettlers);
    const pending: PendingRequest = {
      requestId, frame, isWrite, sequence, deadlineMs: performance.now() + timeoutMs,
      sent: false, settled: false, read, redirect, resolve: capturedResolve, reject: capturedReject,
    };
    this.startSweeping();
    const connection = this.connection;
    if (connection !== null && connection.isOpen && this.pending.unsentCount === 0 && this.pending.sentCount < this.options.inflightRequestsMax) {
      // Nothing waits ahead of it and the window has room: straight to the connection.
      this.pending.addSent(pending);
      connection.send(frame);
    } else {
      this.pending.add(pending);
      this.pump();
    }
    return promise;
  }

  /** Waits for requests in flight to settle (each within its deadline), then closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    await this.pending.whenEmpty();
    this.shutDown();
  }

  private shutDown(): void {
    this.closed = true;
    this.stopSweeping();
    this.pending.failAll(new FileStoreError("CLOSED", "the client was closed"));
    this.connection?.close();
    this.connection = null;
  }

  private startSweeping(): void {
    if (this.sweepTimer !== null) return;
    this.sweepTimer = setInterval(() => {
      this.pending.expire(performance.now());
      if (this.pending.size === 0) this.stopSweeping();
    }, deadlineSweepIntervalMs);
  }

  private stopSweeping(): void {
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }

  /** Sends queued requests while the pipelining window has room. */
  private pump(): void {
    const connection = this.connection;
    if (connection === null || !connection.isOpen) return;
    while (this.pending.sentCount < this.options.inflightRequestsMax) {
      const request = this.pending.takeUnsent();
      if (request === null) return;
      connection.send(request.frame);
    }
  }

  private onReply(connection: WireConnection, response: DecodedResponse): void {
    if (response.requestId === 0) {
      connection.noteCloseReason(`${response.reply.status}: ${response.reply.message}`);
      return;
    }
    if (this.pending.answer(response.requestId, response.reply)) this.pump();
  }

  private onConnectionLost(connection: WireConnection): void {
    if (this.connection !== connection) return;
    this.connection = null;
    if (this.closed) return;
    // A routed request goes on at another replica rather than wait here for this one to come back.
    const message = "the connection to this replica's node was lost";
    this.pending.redirectAll({ status: "UNAVAILABLE", message, leaderHint: "", result: noResult });
    this.reconnecting ??= this.reconnect().finally(() => { this.reconnecting = null; });
  }

  private async reconnect(): Promise<void> {
    let delayMs = reconnectDelayMsInitial;
    while (!this.closed && this.connection === null) {
      const reason = await this.tryConnect();
      if (reason === null) return;
      await sleep(delayMs);
      delayMs = Math.min(delayMs * 2, reconnectDelayMsMax);
    }
  }

  /** One attempt at the next address: connect, ping, then resend what is safe. Returns why it failed, or null. */
  private async tryConnect(): Promise<string | null> {
    const address = this.addresses[this.nextAddress++ % this.addresses.length]!;
    const name = `${address.host}:${address.port}`;
    let connection: WireConnection | undefined;
    let handshake: PendingRequest | undefined;
    let closeReason = "";
    try {
      connection = await WireConnection.open(address, this.options.connectTimeoutMs, {
        onReply: (response) => this.onReply(connection!, response),
        onFoundGet: (requestId, value, version) => {
          if (this.pending.answerFoundGet(requestId, value, version)) this.pump();
        },
        onClose: (reason) => {
          closeReason = reason;
          if (handshake !== undefined) this.pending.fail(handshake, new FileStoreError("UNAVAILABLE", reason));
          if (connection !== undefined) this.onConnectionLost(connection);
        },
      });
    } catch (error) {
      return `${name}: ${(error as Error).message}`;
    }
    const instanceId = await new Promise<Uint8Array | null>((resolve) => {
      handshake = this.ping(resolve);
      connection!.send(handshake.frame);
    });
    handshake = undefined;
    if (instanceId === null || this.closed || !connection.isOpen) {
      // Why it failed is known now: closing may report a close of our own making after it.
      const reason = closeReason || `connected, but no answer within ${this.options.connectTimeoutMs} ms`;
      connection.close();
      return `${name}: ${reason}`;
    }
    this.adopt(connection, instanceId);
    return null;
  }

  /** A ping sent ahead of every queued request; resolves with the server's instance id, or null. */
  private ping(resolve: (instanceId: Uint8Array | null) => void): PendingRequest {
    const request: Request = {
      requestId: this.nextRequestId++, consistency: "strong", maxStalenessMs: 0, deadlineMs: 0,
      sessionId: null, sequence: 0, oldestPendingSequence: 0, shard: 0, shardEpoch: 0, trace: null,
      body: { kind: "ping" },
    };
    const pending: PendingRequest = {
      requestId: request.requestId, frame: encodeRequest(this.builder, request).slice(), isWrite: false, sequence: 0,
      deadlineMs: performance.now() + this.options.connectTimeoutMs, sent: false, settled: false, read: wholeReply,
      redirect: null,
      resolve: (value) => {
        const reply = value as Reply;
        resolve(reply.result.kind === "ping" ? reply.result.serverInstanceId.slice() : null);
      },
      reject: () => resolve(null),
    };
    this.pending.addSent(pending);
    this.startSweeping();
    return pending;
  }

  /** Makes `connection` current: requests sent on the lost one are resent or failed, then the queue flows. */
  private adopt(connection: WireConnection, instanceId: Uint8Array): void {
    const sameServer = this.serverInstanceId !== null && Buffer.from(instanceId).equals(Buffer.from(this.serverInstanceId));
    this.serverInstanceId = instanceId;
    this.connection = connection;
    const resend: PendingRequest[] = [];
    for (const request of this.pending.takeSent()) {
      if (!request.isWrite || sameServer) {
        resend.push(request);
        continue;
      }
      this.pending.fail(request, new FileStoreError("UNKNOWN_OUTCOME",
        "the connection was lost after the write was sent and the server restarted; it may have been applied"));
    }
    this.pending.requeueFront(resend);
    this.pump();
  }
}

/** Bytes of keys and values a request carries (its frame is a little larger). */
function payloadBytes(body: RequestBody): number {
  if (body.kind !== "write") return 0;
  const commands = body.command.op === "batch" ? body.command.commands : [body.command];
  let total = 0;
  for (const command of commands) {
    total += command.key.length;
    if (command.op !== "delete") total += command.value.length;
    if (command.op === "cas" && command.expected !== null) total += command.expected.length;
  }
  return total;
}

/** UNAVAILABLE for a connect that reached no server: each address with why it failed, said once. */
export function noServerReached(reasons: string[]): FileStoreError {
  return new FileStoreError("UNAVAILABLE", `could not reach a FileStore server: ${reasons.join("; ")}`);
}
