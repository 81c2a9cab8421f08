/**
 * A minimal pipelined Redis (RESP2) client for GET and SET, so Redis can be driven by the same
 * harness, runtime and load shape as FileStore. Replies are matched first-in first-out, as
 * Redis answers a connection's commands in order.
 */
import type { Socket } from "bun";
import { BenchError } from "../lib/errors.ts";
import { joinPending, WriteQueue } from "../lib/frames.ts";

const carriageReturn = 13;
const encoder = new TextEncoder();

interface Waiter {
  resolve: (reply: Uint8Array | null) => void;
  reject: (error: Error) => void;
}

/** Encodes a command as a RESP array of bulk strings. */
export function encodeCommand(parts: (string | Uint8Array)[]): Uint8Array {
  const chunks: Uint8Array[] = [encoder.encode(`*${parts.length}\r\n`)];
  for (const part of parts) {
    const bytes = typeof part === "string" ? encoder.encode(part) : part;
    chunks.push(encoder.encode(`$${bytes.length}\r\n`), bytes, encoder.encode("\r\n"));
  }
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const command = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    command.set(chunk, offset);
    offset += chunk.length;
  }
  return command;
}

/**
 * Parses one reply at `offset`. Returns the reply (bulk bytes, null for a nil or a simple
 * status) and the offset after it, or undefined when the buffer holds only part of it.
 */
export function parseReply(buffer: Uint8Array, offset: number): { reply: Uint8Array | null; next: number } | undefined {
  const lineEnd = buffer.indexOf(carriageReturn, offset);
  if (lineEnd < 0 || lineEnd + 1 >= buffer.length) return undefined;
  const kind = String.fromCharCode(buffer[offset]);
  const line = new TextDecoder().decode(buffer.subarray(offset + 1, lineEnd));
  const afterLine = lineEnd + 2;
  if (kind === "-") throw new BenchError(`redis error: ${line}`);
  if (kind === "+" || kind === ":") return { reply: null, next: afterLine };
  if (kind !== "$") throw new BenchError(`unexpected redis reply type ${JSON.stringify(kind)}`);
  const length = Number(line);
  if (length < 0) return { reply: null, next: afterLine };
  if (afterLine + length + 2 > buffer.length) return undefined;
  return { reply: buffer.subarray(afterLine, afterLine + length), next: afterLine + length + 2 };
}

export class RespClient {
  private readonly waiters: Waiter[] = [];
  private pending: Uint8Array = new Uint8Array(0);
  private socket!: Socket<undefined>;
  private writeQueue!: WriteQueue;

  static async connect(port: number): Promise<RespClient> {
    const client = new RespClient();
    client.socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data: (_socket, chunk) => client.receive(chunk),
        drain: () => client.writeQueue.flush(),
        close: () => client.failAll(new BenchError("redis connection closed")),
        error: (_socket, error) => client.failAll(new BenchError(`redis socket error: ${error.message}`)),
      },
    });
    client.socket.setNoDelay(true);
    client.writeQueue = new WriteQueue(client.socket);
    return client;
  }

  /** Sends a pre-encoded command; resolves with the bulk reply or null. */
  send(command: Uint8Array): Promise<Uint8Array | null> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.writeQueue.write(command);
    });
  }

  close(): void {
    this.socket.end();
  }

  private receive(chunk: Uint8Array): void {
    const buffer = joinPending(this.pending, chunk);
    let offset = 0;
    try {
      for (let parsed = parseReply(buffer, offset); parsed; parsed = parseReply(buffer, offset)) {
        offset = parsed.next;
        const waiter = this.waiters.shift();
        if (!waiter) throw new BenchError("redis reply without a request");
        waiter.resolve(parsed.reply);
      }
    } catch (error) {
      this.failAll(error as Error);
    }
    this.pending = buffer.slice(offset);
  }

  private failAll(error: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}
