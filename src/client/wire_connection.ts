/**
 * One TCP connection to a server: writes frames (gathered per event-loop turn into one socket
 * write), reassembles reply frames, verifies and decodes them, and reports when it closes, with
 * the reason in words (refused, no answer in time, a peer that speaks HTTP, a malformed reply).
 * The socket itself comes from the runtime's transport (socket_transport.ts).
 */
import { FrameAssembler } from "../wire/frame_assembler.ts";
import { OutputBuffer } from "../wire/output_buffer.ts";
import { LaidOutGetReply, readLaidOutGetReplyInto } from "../net/get_reply_layout.ts";
import { decodeResponseAt, type DecodedResponse } from "../net/response_codec.ts";
import type { Address } from "./address.ts";
import { dialSocket, type ClientSocket, type Dial } from "./socket_transport.ts";

/** Replies can be larger than requests (a scan page): accept frames up to this size. */
const replyFrameSizeBytesMax = 256 * 1024 * 1024;
/** Entries in one reply's vectors (scan entries, batch results) the client accepts. */
const replyTablesPerVectorMax = 1_000_000;
const receiveBufferBytesInitial = 64 * 1024;
/** How an HTTP response starts: what the admin endpoint answers to a FileStore frame. */
const httpReplyStart = new TextEncoder().encode("HTTP/");

interface WireConnectionEvents {
  onReply(reply: DecodedResponse): void;
  /** A found get answered in the laid-out form: its value (copied out of the receive buffer) and version, without a Reply object. */
  onFoundGet(requestId: number, value: Uint8Array, version: number): void;
  /** The connection is gone; `reason` explains when it is known. */
  onClose(reason: string): void;
}

export class WireConnection {
  private readonly output = new OutputBuffer();
  private readonly assembler = new FrameAssembler(replyFrameSizeBytesMax, receiveBufferBytesInitial);
  private socket: ClientSocket | null = null;
  private flushScheduled = false;
  private closed = false;
  /** No byte has arrived yet: the first ones tell a FileStore server from an HTTP one. */
  private awaitingFirstBytes = true;
  private closeReason = "the server closed the connection";
  private readonly laidOutGetReply = new LaidOutGetReply();

  private constructor(private readonly events: WireConnectionEvents) {}

  /** Connects; rejects with an Error saying why in words (refused, not open within the deadline, ...). */
  static async open(
    address: Address, connectTimeoutMs: number, events: WireConnectionEvents, dial: Dial = dialSocket,
  ): Promise<WireConnection> {
    const connection = new WireConnection(events);
    const connecting = dial(address.host, address.port, {
      data: (chunk) => connection.onData(chunk),
      drain: () => connection.flush(),
      close: (error) => connection.onClosed(error),
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no connection within ${connectTimeoutMs} ms`)), connectTimeoutMs);
    });
    try {
      connection.socket = await Promise.race([connecting, timeout]);
    } catch (error) {
      // A connection that completes after its deadline is not wanted any more.
      connecting.then((late) => late.terminate(), () => {});
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return connection;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Queues `frame` (copied) for the next flush, which runs at the end of this turn. */
  send(frame: Uint8Array): void {
    if (this.closed) return;
    this.output.append(frame);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => this.flush());
  }

  close(): void {
    if (this.socket !== null && !this.closed) this.socket.end();
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.closed || this.socket === null) return;
    this.output.flush(this.socket);
  }

  private onData(chunk: Uint8Array): void {
    if (this.closed) return;
    if (this.awaitingFirstBytes) {
      this.awaitingFirstBytes = false;
      // Read as a frame length, "HTTP" is a 1.3 GB frame: say what it is instead.
      if (startsWith(chunk, httpReplyStart)) {
        return this.fail("answered with HTTP: this looks like the admin endpoint; use the client port");
      }
    }
    try {
      this.assembler.feedRanges(chunk, (bytes, start, end) => {
        const found = this.laidOutGetReply;
        if (readLaidOutGetReplyInto(bytes, start, end, found)) {
          this.events.onFoundGet(found.requestId, bytes.slice(found.valueStart, end), found.version);
        } else {
          this.events.onReply(decodeResponseAt(bytes, start, end, replyTablesPerVectorMax));
        }
        return !this.closed;
      });
    } catch (error) {
      // A reply we cannot verify means the stream cannot be trusted: drop the connection.
      this.fail(`malformed reply (is this a FileStore client port?): ${(error as Error).message}`);
    }
  }

  private fail(reason: string): void {
    this.closeReason = reason;
    this.socket?.terminate();
    this.onClosed();
  }

  private onClosed(reason?: string): void {
    if (this.closed) return;
    this.closed = true;
    this.events.onClose(reason ?? this.closeReason);
  }

  /** Remembers why the server is about to close (an error reply not tied to any request). */
  noteCloseReason(reason: string): void {
    this.closeReason = reason;
  }
}

/** Whether the first chunk of a stream starts with `prefix` (a first chunk shorter than it never does). */
function startsWith(chunk: Uint8Array, prefix: Uint8Array): boolean {
  if (chunk.length < prefix.length) return false;
  for (let index = 0; index < prefix.length; index++) if (chunk[index] !== prefix[index]) return false;
  return true;
}
