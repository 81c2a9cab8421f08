/**
 * Conformance cases of the client's socket transports (src/client/socket_transport.ts), run
 * against Bun's sockets and node:net (bun_socket.test.ts, node_socket.test.ts). Written with
 * node:test and node:assert so that the same cases also run under Node.js
 * (test/client/node/), where only the node:net transport exists.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import type { ClientSocket, Dial, SocketEvents } from "../../../src/client/socket_transport.ts";

/** Bytes pushed through an echo in the large-transfer case: far above any socket buffer, so writes come up short. */
const largeTransferBytes = 4 * 1024 * 1024;
/** Bytes offered per write call in that case. */
const writeSliceBytes = 256 * 1024;

/** What a dialled socket reported: bytes in order, drains, and its close (once). */
class Recorder implements SocketEvents {
  readonly chunks: Uint8Array[] = [];
  received = 0;
  closes: (string | undefined)[] = [];
  private wakers: Array<() => void> = [];

  data(chunk: Uint8Array): void {
    this.chunks.push(chunk.slice());
    this.received += chunk.length;
    this.wake();
  }

  drain(): void {
    this.wake();
  }

  close(error?: string): void {
    this.closes.push(error);
    this.wake();
  }

  bytes(): Uint8Array {
    return Buffer.concat(this.chunks);
  }

  /** Resolves once `condition` holds (checked after each event); rejects if the socket closed first. */
  async until(condition: () => boolean, what: string): Promise<void> {
    while (!condition()) {
      if (this.closes.length > 0) throw new Error(`closed while waiting for ${what}`);
      await new Promise<void>((resolve) => this.wakers.push(resolve));
    }
  }

  /** Resolves at the next event of any kind. */
  next(): Promise<void> {
    return new Promise<void>((resolve) => this.wakers.push(resolve));
  }

  private wake(): void {
    for (const resolve of this.wakers.splice(0)) resolve();
  }
}

/** A node:net server on 127.0.0.1, port 0, doing `onConnection` with each socket. */
async function listen(onConnection: (socket: Socket) => void): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const stop = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { port, stop };
}

/** Writes all of `bytes`, offering the rest again after each drain, as WireConnection does. */
async function writeAll(socket: ClientSocket, recorder: Recorder, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const slice = bytes.subarray(offset, Math.min(offset + writeSliceBytes, bytes.length));
    const taken = socket.write(slice);
    assert.ok(taken >= 0 && taken <= slice.length, `write took ${taken} of ${slice.length} bytes`);
    offset += taken;
    if (taken < slice.length) await recorder.next();
  }
}

function patterned(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let index = 0; index < length; index++) bytes[index] = (index * 7 + (index >>> 11)) & 0xff;
  return bytes;
}

async function largeTransfer(dial: Dial): Promise<void> {
  const echo = await listen((socket) => socket.pipe(socket));
  try {
    const recorder = new Recorder();
    const socket = await dial("127.0.0.1", echo.port, recorder);
    const payload = patterned(largeTransferBytes);
    await writeAll(socket, recorder, payload);
    await recorder.until(() => recorder.received >= payload.length, "the echo");
    assert.ok(Buffer.from(recorder.bytes()).equals(Buffer.from(payload)), "echoed bytes differ");
    socket.terminate();
  } finally {
    await echo.stop();
  }
}

async function reuseAndPlainChunks(dial: Dial): Promise<void> {
  const echo = await listen((socket) => socket.pipe(socket));
  try {
    const plainChunks: boolean[] = [];
    const recorder = new Recorder();
    const socket = await dial("127.0.0.1", echo.port, {
      data: (chunk) => {
        // slice() must copy (a Buffer's is a view): values are sliced out of received chunks.
        plainChunks.push(Object.getPrototypeOf(chunk) === Uint8Array.prototype);
        recorder.data(chunk);
      },
      drain: () => recorder.drain(),
      close: (error) => recorder.close(error),
    });
    const buffer = Uint8Array.of(1, 2, 3, 4);
    assert.equal(socket.write(buffer), 4);
    buffer.fill(9);
    await recorder.until(() => recorder.received >= 4, "the echo");
    assert.deepEqual([...recorder.bytes()], [1, 2, 3, 4]);
    assert.ok(plainChunks.length > 0 && plainChunks.every(Boolean), "chunks must be plain Uint8Arrays");
    socket.terminate();
  } finally {
    await echo.stop();
  }
}

async function refused(dial: Dial): Promise<void> {
  const closed = await listen(() => {});
  const port = closed.port;
  await closed.stop();
  const refused = { message: "connection refused (nothing listens on that port)" };
  await assert.rejects(dial("127.0.0.1", port, new Recorder()), refused);
}

async function serverClose(dial: Dial): Promise<void> {
  const closer = await listen((socket) => socket.end());
  try {
    const recorder = new Recorder();
    await dial("127.0.0.1", closer.port, recorder);
    while (recorder.closes.length === 0) await recorder.next();
    assert.deepEqual(recorder.closes, [undefined]);
  } finally {
    await closer.stop();
  }
}

async function endAndTerminate(dial: Dial): Promise<void> {
  const received: Buffer[] = [];
  let serverSawEnd: () => void = () => {};
  const ended = new Promise<void>((resolve) => { serverSawEnd = resolve; });
  const sink = await listen((socket) => {
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    socket.on("end", () => serverSawEnd());
  });
  try {
    const ending = new Recorder();
    const first = await dial("127.0.0.1", sink.port, ending);
    assert.equal(first.write(Uint8Array.of(5, 6, 7)), 3);
    first.end();
    await ended;
    assert.deepEqual([...Buffer.concat(received)], [5, 6, 7]);
    const terminated = new Recorder();
    const second = await dial("127.0.0.1", sink.port, terminated);
    second.terminate();
    while (terminated.closes.length === 0) await terminated.next();
    assert.equal(terminated.closes.length, 1);
  } finally {
    await sink.stop();
  }
}

/** [name, case] in the order they run. */
const cases: [string, (dial: Dial) => Promise<void>][] = [
  ["4 MiB written in short writes comes back from an echo intact and in order", largeTransfer],
  ["a write's buffer may be reused once write returns; received chunks are plain Uint8Arrays", reuseAndPlainChunks],
  ["a refused connection rejects in the same words under every runtime", refused],
  ["the server closing the connection is reported once, without an error", serverClose],
  ["end() delivers what was written, then closes; terminate() closes; each close is reported once", endAndTerminate],
];

export function runSocketContract(name: string, dial: Dial): void {
  describe(`${name} socket transport`, () => {
    for (const [title, run] of cases) test(title, () => run(dial));
  });
}
