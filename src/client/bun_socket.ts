/** The client's byte stream over Bun's own TCP sockets (Bun.connect): the fastest under Bun. */
import type { Socket } from "bun";
import { describeSocketError } from "./socket_errors.ts";
import type { ClientSocket, SocketEvents } from "./socket_transport.ts";

export async function dialBun(host: string, port: number, events: SocketEvents): Promise<ClientSocket> {
  let socket: Socket<undefined>;
  try {
    socket = await Bun.connect<undefined>({
      hostname: host,
      port,
      socket: {
        // Plain Uint8Arrays: a Buffer's slice() is a view, and values sliced out of a read must be copies.
        binaryType: "uint8array",
        data: (_socket, chunk) => events.data(chunk),
        drain: () => events.drain(),
        // The server ended its side (a graceful shutdown): end ours too, so `close` follows at once.
        // Left half-open, requests written after it would wait for replies that never come.
        end: (socket) => {
          socket.end();
        },
        close: (_socket, error) => events.close(error === undefined ? undefined : describeSocketError(error)),
        error: (_socket, error) => events.close(describeSocketError(error)),
        // The promise rejects with the same error: reported there.
        connectError: () => {},
      },
    });
  } catch (error) {
    throw new Error(describeSocketError(error));
  }
  socket.setNoDelay(true);
  return {
    write: (data) => socket.write(data),
    end: () => socket.end(),
    terminate: () => socket.terminate(),
  };
}
