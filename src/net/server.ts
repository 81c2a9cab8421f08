/**
 * The client-port server on Bun.listen. Per connection: frames reassembled from partial reads,
 * requests decoded in place and verified, executed with many in flight and answered as they
 * finish (out of order), replies of one turn written together. Bounded everywhere
 * (src/net/limits.ts): frame size, requests in flight per connection and per server (past
 * them: OVERLOADED), connections (past it: refused), buffered output (past it: the server stops
 * reading that connection until its socket drains), idle time and time to finish a frame
 * (slow clients lose their slot rather than starve others).
 */
import * as flatbuffers from "flatbuffers";
import type { Socket, TCPSocketListener } from "bun";
import type { FoundValue } from "../engine/types";
import { AssertionError } from "../util/assert";
import { FrameAssembler, type FrameRangeHandler } from "../wire/frame_assembler";
import { appendGetReply } from "./get_reply_layout";
import { LaidOutGet, readLaidOutGet } from "./get_request_layout";
import type { KeyValueService, ReadContext } from "./key_value_service";
import { resolveLimits, type ServerLimits } from "./limits";
import { errorReply, type Reply, type Request } from "./messages";
import { noopObserver, type ServerObserver } from "./observer";
import { OutputBuffer } from "../wire/output_buffer";
import { RefusalLog } from "./refusal_log";
import type { Logger } from "../util/logger";
import type { Schedule } from "../util/repeated_event_log";
import { decodeRequest } from "./request_decoder";
import { deadlineAtMs, execute, isFoundValue, lookUpGet, operationName, type ExecutorContext } from "./request_executor";
import { encodeResponse } from "./response_codec";
import { RequestRejection } from "../wire/status";
import { WriteDeduplicator } from "./write_deduplicator";
import { appendWriteReply } from "./write_reply_layout";

interface ServerOptions {
  host: string;
  /** 0 picks a free port; RunningServer.port tells which. */
  port: number;
  service: KeyValueService;
  limits?: Partial<ServerLimits>;
  observer?: ServerObserver;
  /** Where failures inside the service are reported (the client only sees INTERNAL); default: the logger. */
  logError?: (message: string, error: unknown) => void;
  /** Where refusals by the limits and internal failures are logged, at most once a second each (refusal_log.ts). */
  logger?: Logger;
  /** When held-back refusal lines are written (repeated_event_log.ts); tests pass one they drive. */
  logSchedule?: Schedule;
}

interface ServerStats {
  connections: number;
  /** Requests accepted and not yet answered. */
  inflight: number;
  /** Connections not being read because their replies are not draining. */
  pausedConnections: number;
}

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  /** Random per start; clients compare it across reconnects (see PingResult in the schema). */
  readonly instanceId: Uint8Array;
  stats(): ServerStats;
  /** Stops accepting, lets requests in flight finish and their replies go out, then closes every connection. */
  close(): Promise<void>;
}

/** Initial size of the reply builder; it grows for large replies and is reused. */
const replyBuilderBytesInitial = 64 * 1024;
const serverInstanceIdBytes = 16;

class Connection {
  readonly assembler: FrameAssembler;
  readonly output = new OutputBuffer();
  inflight = 0;
  readonly openedAtMs = performance.now();
  /** Whether a whole frame has arrived yet; until then the connection holds a slot on credit. */
  framesReceived = 0;
  lastActivityMs = performance.now();
  insideDataCallback = false;
  /** Found gets answered inside the current data callback: their latency is recorded once, after its flush. */
  foundGetsInRead = 0;
  flushScheduled = false;
  pausedForOutput = false;
  closeAfterFlush = false;
  closed = false;

  constructor(
    readonly socket: Socket<Connection | undefined>,
    limits: ServerLimits,
    /** The server's frame handler and flush for this connection, made once rather than per read or reply. */
    readonly onFrameRange: FrameRangeHandler,
    readonly flushQueued: () => void,
  ) {
    this.assembler = new FrameAssembler(limits.frameSizeBytesMax, limits.receiveBufferBytesInitial);
  }
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const server = new ClientPortServer(options);
  return server.listen();
}

class ClientPortServer {
  private readonly limits: ServerLimits;
  private readonly observer: ServerObserver;
  private readonly executor: ExecutorContext;
  private readonly builder = new flatbuffers.Builder(replyBuilderBytesInitial);
  /** The laid-out get being read; filled per frame (see onFrame). */
  private readonly laidOutGet = new LaidOutGet();
  private readonly connections = new Set<Connection>();
  private listener: TCPSocketListener<Connection | undefined> | null = null;
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  private inflight = 0;
  private closing: Promise<void> | null = null;
  private inflightDrained: (() => void) | null = null;
  private readonly refusals: RefusalLog | null;

  constructor(private readonly options: ServerOptions) {
    this.limits = resolveLimits(options.limits);
    const logger = options.logger;
    this.refusals = logger === undefined ? null : new RefusalLog(logger, this.limits, options.logSchedule);
    this.observer = options.observer ?? noopObserver;
    this.executor = {
      service: options.service,
      deduplicator: new WriteDeduplicator(this.limits.dedupSessionsMax, this.limits.dedupWritesPerSessionMax),
      serverInstanceId: crypto.getRandomValues(new Uint8Array(serverInstanceIdBytes)),
      replyBytesMax: this.limits.frameSizeBytesMax,
      logError: (message, error) => this.logError(message, error),
    };
  }

  listen(): RunningServer {
    this.listener = Bun.listen<Connection | undefined>({
      hostname: this.options.host,
      port: this.options.port,
      data: undefined,
      socket: {
        open: (socket) => this.onOpen(socket),
        data: (socket, chunk) => this.onData(socket, chunk),
        drain: (socket) => this.onDrain(socket),
        close: (socket) => this.onClosed(socket),
        error: (socket) => this.onClosed(socket),
      },
    });
    this.sweepTimer = setInterval(() => this.sweep(), this.limits.sweepIntervalMs);
    const listener = this.listener;
    return {
      host: listener.hostname,
      port: listener.port,
      instanceId: this.executor.serverInstanceId,
      stats: () => this.stats(),
      close: () => this.close(),
    };
  }

  private stats(): ServerStats {
    let pausedConnections = 0;
    for (const connection of this.connections) if (connection.pausedForOutput) pausedConnections++;
    return { connections: this.connections.size, inflight: this.inflight, pausedConnections };
  }

  private onOpen(socket: Socket<Connection | undefined>): void {
    if (this.closing !== null || this.connections.size >= this.limits.connectionsMax) {
      const reason = this.closing !== null ? "server is shutting down" : `connection limit ${this.limits.connectionsMax} reached`;
      if (this.closing === null) this.refusals?.connectionRefused(socket.remoteAddress);
      socket.data = undefined;
      socket.end(encodeResponse(this.builder, 0, errorReply(this.closing !== null ? "UNAVAILABLE" : "OVERLOADED", reason)));
      return;
    }
    socket.setNoDelay(true);
    const connection: Connection = new Connection(
      socket,
      this.limits,
      (bytes, start, end) => this.onFrame(connection, bytes, start, end),
      () => this.flush(connection),
    );
    socket.data = connection;
    this.connections.add(connection);
    this.observer.connectionsChanged(1);
  }

  private onClosed(socket: Socket<Connection | undefined>): void {
    const connection = socket.data;
    if (connection === undefined || connection.closed) return;
    connection.closed = true;
    this.connections.delete(connection);
    this.observer.connectionsChanged(-1);
  }

  private onData(socket: Socket<Connection | undefined>, chunk: Uint8Array): void {
    const connection = socket.data;
    if (connection === undefined || connection.closed || connection.closeAfterFlush) return;
    this.observer.bytesReceived(chunk.length);
    connection.lastActivityMs = performance.now();
    connection.insideDataCallback = true;
    try {
      connection.assembler.feedRanges(chunk, connection.onFrameRange);
    } catch (error) {
      if (error instanceof AssertionError) throw error;
      const rejection = error instanceof RequestRejection ? error
        : new RequestRejection("INTERNAL", "internal error", 0, true);
      if (!(error instanceof RequestRejection)) this.logError("request handling failed", error);
      else this.refusals?.frameRefused(rejection.status === "TOO_LARGE", socket.remoteAddress, rejection.message);
      this.reply(connection, rejection.requestId, errorReply(rejection.status, rejection.message), "invalid", performance.now());
      this.closeAfterFlush(connection);
    } finally {
      connection.insideDataCallback = false;
    }
    this.flush(connection);
    // The found gets of this read left with its flush: one clock reading and one metrics update for all.
    if (connection.foundGetsInRead > 0) {
      this.observer.requestCompleted("get", "OK", (performance.now() - connection.lastActivityMs) / 1000, connection.foundGetsInRead);
      connection.foundGetsInRead = 0;
    }
  }

  /**
   * One complete frame, bytes[start, end); returns false when the connection can no longer be
   * trusted. A get laid out as the client lays it out is read without a view of the frame, the
   * verifier's walk or a Request object (get_request_layout.ts); every other frame takes the
   * general decoder.
   */
  private onFrame(connection: Connection, bytes: Uint8Array, start: number, end: number): boolean {
    // The frames of one read arrived together: their wait behind each other counts as latency.
    const receivedAtMs = connection.lastActivityMs;
    connection.framesReceived++;
    if (readLaidOutGet(bytes, start, end, this.limits.keySizeBytesMax, this.laidOutGet)) {
      this.answerLaidOutGet(connection, bytes, end, receivedAtMs);
      return true;
    }
    let request: Request;
    try {
      request = decodeRequest(bytes.subarray(start, end), this.limits);
    } catch (error) {
      if (!(error instanceof RequestRejection) || error.fatal) throw error;
      this.reply(connection, error.requestId, errorReply(error.status, error.message), "invalid", receivedAtMs);
      return true;
    }
    const operation = operationName(request);
    const refusal = this.refusal(connection);
    if (refusal !== null) {
      this.reply(connection, request.requestId, refusal, operation, receivedAtMs);
      return true;
    }
    this.answer(connection, request.requestId, execute(this.executor, request, receivedAtMs), operation, receivedAtMs);
    return true;
  }

  /** The get just read into this.laidOutGet (its key runs to `end`): a found value goes straight into the reply layout. */
  private answerLaidOutGet(connection: Connection, bytes: Uint8Array, end: number, receivedAtMs: number): void {
    const get = this.laidOutGet;
    const requestId = get.requestId;
    const refusal = this.refusal(connection);
    if (refusal !== null) {
      this.reply(connection, requestId, refusal, "get", receivedAtMs);
      return;
    }
    const readContext: ReadContext = {
      consistency: get.consistency,
      maxStalenessMs: get.maxStalenessMs,
      deadlineAtMs: deadlineAtMs(receivedAtMs, get.deadlineMs),
      trace: null,
      shard: get.shard,
      shardEpoch: get.shardEpoch,
    };
    const found = lookUpGet(this.executor, bytes, get.keyStart, end, readContext);
    if (isFoundValue(found)) this.replyFound(connection, requestId, found, receivedAtMs);
    else this.answer(connection, requestId, found, "get", receivedAtMs);
  }

  /** Why a request cannot be taken now (nothing is applied), or null when it can. */
  private refusal(connection: Connection): Reply | null {
    if (connection.inflight >= this.limits.inflightRequestsPerConnectionMax || this.inflight >= this.limits.inflightRequestsPerServerMax) {
      this.refusals?.inflightRefused();
      return errorReply("OVERLOADED", "too many requests in flight; nothing was applied");
    }
    if (this.closing !== null) return errorReply("UNAVAILABLE", "server is shutting down; nothing was applied");
    return null;
  }

  /** Replies now, or once `reply` settles (counted in flight meanwhile). */
  private answer(connection: Connection, requestId: number, reply: Reply | Promise<Reply>, operation: string, receivedAtMs: number): void {
    if (!(reply instanceof Promise)) {
      this.reply(connection, requestId, reply, operation, receivedAtMs);
      return;
    }
    this.inflightChanged(connection, 1);
    reply.then((settled) => {
      this.inflightChanged(connection, -1);
      this.reply(connection, requestId, settled, operation, receivedAtMs);
    });
  }

  private inflightChanged(connection: Connection, delta: number): void {
    connection.inflight += delta;
    this.inflight += delta;
    this.observer.inflightChanged(delta);
    if (this.inflight === 0 && this.inflightDrained !== null) this.inflightDrained();
  }

  private reply(connection: Connection, requestId: number, reply: Reply, operation: string, receivedAtMs: number): void {
    const result = reply.result;
    // Found gets and successful writes without text have laid-out replies.
    const laidOut = reply.status === "OK" && reply.message === "" && reply.leaderHint === "";
    if (laidOut && result.kind === "get") {
      this.replyFound(connection, requestId, result, receivedAtMs);
      return;
    }
    this.observer.requestCompleted(operation, reply.status, (performance.now() - receivedAtMs) / 1000);
    if (connection.closed) return;
    if (laidOut && result.kind === "write") {
      appendWriteReply(connection.output, requestId, result.outcome.applied, result.outcome.version);
    } else {
      connection.output.append(encodeResponse(this.builder, requestId, reply));
    }
    this.scheduleFlush(connection);
  }

  /**
   * A found get's reply, laid out straight into the output (get_reply_layout.ts). One answered
   * inside a data callback is counted when that callback has flushed (see onData).
   */
  private replyFound(connection: Connection, requestId: number, found: FoundValue, receivedAtMs: number): void {
    if (connection.insideDataCallback) connection.foundGetsInRead++;
    else this.observer.requestCompleted("get", "OK", (performance.now() - receivedAtMs) / 1000);
    if (connection.closed) return;
    appendGetReply(connection.output, requestId, found.value, found.version);
    this.scheduleFlush(connection);
  }

  /** Replies made inside a data callback go out with its flush; others at the end of this turn. */
  private scheduleFlush(connection: Connection): void {
    if (connection.insideDataCallback || connection.flushScheduled) return;
    connection.flushScheduled = true;
    queueMicrotask(connection.flushQueued);
  }

  private flush(connection: Connection): void {
    connection.flushScheduled = false;
    if (connection.closed) return;
    this.observer.bytesSent(connection.output.flush(connection.socket));
    if (connection.output.length > this.limits.outputBufferedBytesMax && !connection.pausedForOutput) {
      connection.pausedForOutput = true;
      connection.socket.pause();
    }
    if (connection.closeAfterFlush && connection.output.length === 0) connection.socket.end();
  }

  private onDrain(socket: Socket<Connection | undefined>): void {
    const connection = socket.data;
    if (connection === undefined || connection.closed) return;
    this.flush(connection);
    if (connection.pausedForOutput && connection.output.length <= this.limits.outputBufferedBytesMax / 2) {
      connection.pausedForOutput = false;
      if (!connection.closeAfterFlush && this.closing === null) connection.socket.resume();
    }
  }

  private closeAfterFlush(connection: Connection): void {
    connection.closeAfterFlush = true;
    connection.socket.pause();
  }

  /**
   * Closes connections idle too long, those that started a frame and did not finish it in time,
   * and those that sent no whole frame within that time of opening (a flood of silent
   * connections would otherwise hold every slot until the idle timeout).
   */
  private sweep(): void {
    const now = performance.now();
    for (const connection of this.connections) {
      const partialSinceMs = connection.assembler.partialSinceMs;
      const frameLate = partialSinceMs !== null && now - partialSinceMs > this.limits.frameReceiveTimeoutMs;
      const silent = connection.framesReceived === 0 && now - connection.openedAtMs > this.limits.frameReceiveTimeoutMs;
      if (frameLate || silent) {
        this.drop(connection);
        continue;
      }
      const quiet = connection.inflight === 0 && connection.output.length === 0;
      if (quiet && now - connection.lastActivityMs > this.limits.idleTimeoutMs) this.drop(connection);
    }
  }

  private drop(connection: Connection): void {
    connection.closed = true;
    this.connections.delete(connection);
    this.observer.connectionsChanged(-1);
    connection.socket.terminate();
  }

  private logError(message: string, error: unknown): void {
    if (this.options.logError !== undefined) this.options.logError(message, error);
    else if (this.refusals !== null) this.refusals.failed(message, error);
    else console.error(message, error);
  }

  private close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.listener?.stop(false);
    for (const connection of this.connections) connection.socket.pause();
    if (this.inflight > 0) await new Promise<void>((resolve) => { this.inflightDrained = resolve; });
    for (const connection of this.connections) {
      this.flush(connection);
      connection.socket.end();
    }
    this.listener?.stop(true);
    this.refusals?.close();
  }
}
