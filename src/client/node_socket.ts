/**
 * The client's byte stream over node:net, for the client under Node.js (and any runtime with
 * node:net). Node queues every write itself; to give the same back-pressure as Bun's sockets a
 * write is refused (0 bytes taken) while Node's queue is over its high-water mark, and taken
 * whole (copied: the caller reuses its buffer) otherwise.
 */
import { Socket } from "node:net";
import { describeSocketError } from "./socket_errors.ts";
import type { ClientSocket, SocketEvents } from "./socket_transport.ts";

export function dialNode(host: string, port: number, events: SocketEvents): Promise<ClientSocket> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let opened = false;
    let failure: string | undefined;
    socket.on("error", (error) => {
      failure = describeSocketError(error);
      if (!opened) reject(new Error(failure));
    });
    socket.on("close", () => {
      if (opened) events.close(failure);
    });
    socket.on("data", (chunk: Buffer) => {
      // A plain Uint8Array view: Buffer's slice() shares memory where Uint8Array's copies.
      events.data(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    });
    socket.on("drain", () => events.drain());
    socket.connect({ host, port }, () => {
      opened = true;
      socket.setNoDelay(true);
      resolve({
        write: (data) => {
          if (socket.writableNeedDrain || socket.destroyed) return 0;
          socket.write(data.slice());
          return data.length;
        },
        end: () => socket.end(),
        terminate: () => socket.destroy(),
      });
    });
  });
}
