/** A bare TCP client for protocol tests: sends raw bytes, collects decoded replies, notes when the server closes. */
import type { Socket } from "bun";
import { FrameAssembler } from "../../src/wire/frame_assembler";
import type { Reply } from "../../src/net/messages";
import { decodeResponse, type DecodedResponse } from "../../src/net/response_codec";
import { waitFor } from "../support/wait_for";

export class RawClient {
  readonly replies: DecodedResponse[] = [];
  closed = false;
  private readonly assembler = new FrameAssembler(64 * 1024 * 1024, 1024);
  /** Called when the socket takes writes again after a partial one. */
  private drained: (() => void) | null = null;

  private constructor(public socket: Socket<undefined> | null = null) {}

  static async connect(port: number): Promise<RawClient> {
    const client = new RawClient();
    client.socket = await Bun.connect<undefined>({
      hostname: "127.0.0.1",
      port,
      socket: {
        data: (_socket, chunk) => client.assembler.feed(chunk, (frame) => {
          client.replies.push(decodeResponse(frame.slice(), 1_000_000));
          return true;
        }),
        drain: () => client.drained?.(),
        close: () => { client.closed = true; client.drained?.(); },
        error: () => { client.closed = true; client.drained?.(); },
      },
    });
    client.socket.setNoDelay(true);
    return client;
  }

  send(bytes: Uint8Array): void {
    this.socket!.write(bytes);
  }

  /** Sends all of `bytes`, however many writes it takes (send() drops what one write did not take). */
  async sendAll(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (!this.closed) {
      offset += this.socket!.write(bytes.subarray(offset));
      if (offset >= bytes.length) return;
      await new Promise<void>((resolve) => { this.drained = resolve; });
      this.drained = null;
    }
  }

  /** The reply to `requestId`, waiting for it. */
  async reply(requestId: number): Promise<Reply> {
    const answered = () => this.replies.some((reply) => reply.requestId === requestId) || this.closed;
    await waitFor(answered, `a reply to request ${requestId}`);
    const found = this.replies.find((reply) => reply.requestId === requestId);
    if (found === undefined) throw new Error(`no reply to request ${requestId} (connection closed: ${this.closed})`);
    return found.reply;
  }

  async waitClosed(): Promise<void> {
    await waitFor(() => this.closed, "the server to close the connection");
  }

  close(): void {
    this.socket?.end();
  }
}
