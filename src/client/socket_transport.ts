/**
 * The byte stream under a client connection, as two implementations of one interface: Bun's
 * sockets (bun_socket.ts) and Node's node:net (node_socket.ts). The client picks the one of the
 * runtime it runs in; both pass the same conformance suite (test/client/transport/).
 */
import { dialBun } from "./bun_socket.ts";
import { dialNode } from "./node_socket.ts";

export interface ClientSocket {
  /**
   * Writes what the socket takes now and returns how many bytes that was; the caller keeps the
   * rest and offers it again on `drain`. `data` may be reused once the call returns.
   */
  write(data: Uint8Array): number;
  /** Closes once what was written has been sent. */
  end(): void;
  /** Closes at once, dropping anything unsent. */
  terminate(): void;
}

export interface SocketEvents {
  /** Bytes received; a view valid during the call only (the caller copies what it keeps). */
  data(chunk: Uint8Array): void;
  /** The socket takes writes again after a short write. */
  drain(): void;
  /** The socket is closed; `error` says why when it failed (in words, see socket_errors.ts). */
  close(error?: string): void;
}

/** Opens a connection; rejects with an Error whose message says why (socket_errors.ts). */
export type Dial = (host: string, port: number, events: SocketEvents) => Promise<ClientSocket>;

/** The transport of the runtime the client runs in: Bun's own sockets under Bun, node:net elsewhere. */
export const dialSocket: Dial = typeof Bun === "undefined" ? dialNode : dialBun;
