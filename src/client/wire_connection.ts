/**
 * One TCP connection to a server: writes frames (gathered per event-loop turn into one socket
 * write), reassembles reply frames, verifies and decodes them, and reports when it closes.
 */
import type { Socket } from "bun";
import { FrameAssembler } from "../net/frame_assembler";
import { OutputBuffer } from "../net/output_buffer";
import { LaidOutGetReply, readLaidOutGetReplyInto } from "../net/get_reply_layout";
import { decodeResponseAt, type DecodedResponse } from "../net/response_codec";
import type { Address } from "./address";

/** Replies can be larger than requests (a scan page): accept frames up to this size. */
const replyFrameSizeBytesMax = 256 * 1024 * 1024;
/** Entries in one reply's vectors (scan entries, batch results) the client accepts. */
const replyTablesPerVectorMax = 1_000_000;
const receiveBufferBytesInitial = 64 * 1024;

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
  private flushScheduled = false;
  private closed = false;
  private closeReason = "connection closed";
  private readonly laidOutGetReply = new LaidOutGetReply();

  private constructor(private socket: Socket<undefined> | null, private readonly events: WireConnectionEvents) {}

  static async open(address: Address, connectTimeoutMs: number, events: WireConnectionEvents): Promise<WireConnection> {
    const connection = new WireConnection(null, events);
    const connecting = Bun.connect<undefined>({
      hostname: address.host,
      port: address.port,
      socket: {
        data: (_socket, chunk) => connection.onData(chunk),
        drain: () => connection.flush(),
        close: () => connection.onClosed(),
        error: (_socket, error) => connection.onClosed(error.message),
        connectError: () => {},
      },
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`connecting to ${address.host}:${address.port} timed out`)), connectTimeoutMs);
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
    connection.socket.setNoDelay(true);
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
      this.closeReason = `malformed reply: ${(error as Error).message}`;
      this.socket?.terminate();
      this.onClosed();
    }
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
