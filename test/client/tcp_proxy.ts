/**
 * A TCP proxy on 127.0.0.1 for client tests: forwards each connection to `target`, and can cut
 * every connection at once (a network failure without a server restart) or point new
 * connections at another server.
 */
import type { Socket, TCPSocketListener } from "bun";

interface Pipe {
  peer: Socket<Pipe> | null;
  /** Bytes that arrived before the upstream connection was open, or that it did not take yet. */
  pending: Uint8Array[];
}

function forward(to: Socket<Pipe> | null, pipe: Pipe, data: Uint8Array): void {
  if (to === null || pipe.pending.length > 0) {
    pipe.pending.push(data.slice());
    return;
  }
  const written = to.write(data);
  if (written < data.length) pipe.pending.push(data.slice(Math.max(written, 0)));
}

function drainPending(to: Socket<Pipe>, pipe: Pipe): void {
  while (pipe.pending.length > 0) {
    const chunk = pipe.pending[0]!;
    const written = Math.max(to.write(chunk), 0);
    if (written < chunk.length) {
      pipe.pending[0] = chunk.slice(written);
      return;
    }
    pipe.pending.shift();
  }
}

export class TcpProxy {
  private readonly sockets = new Set<Socket<Pipe>>();
  private readonly listener: TCPSocketListener<Pipe>;

  constructor(public targetPort: number) {
    this.listener = Bun.listen<Pipe>({
      hostname: "127.0.0.1",
      port: 0,
      data: { peer: null, pending: [] },
      socket: {
        open: (client) => this.onOpen(client),
        data: (client, data) => forward(client.data.peer, client.data, data),
        drain: (client) => { if (client.data.peer !== null) drainPending(client, client.data.peer.data); },
        close: (client) => this.onClose(client),
        error: (client) => this.onClose(client),
      },
    });
  }

  get port(): number {
    return this.listener.port;
  }

  private onOpen(client: Socket<Pipe>): void {
    client.data = { peer: null, pending: [] };
    this.sockets.add(client);
    void Bun.connect<Pipe>({
      hostname: "127.0.0.1",
      port: this.targetPort,
      data: { peer: client, pending: [] },
      socket: {
        open: (upstream) => {
          this.sockets.add(upstream);
          client.data.peer = upstream;
          drainPending(upstream, client.data);
        },
        data: (upstream, data) => forward(client, upstream.data, data),
        drain: (upstream) => drainPending(upstream, client.data),
        close: (upstream) => this.onClose(upstream),
        error: (upstream) => this.onClose(upstream),
      },
    }).catch(() => client.terminate());
  }

  private onClose(socket: Socket<Pipe>): void {
    this.sockets.delete(socket);
    const peer = socket.data.peer;
    if (peer !== null && this.sockets.has(peer)) peer.end();
  }

  /** Drops every connection through the proxy, both sides, at once. */
  cutAll(): void {
    for (const socket of [...this.sockets]) socket.terminate();
    this.sockets.clear();
  }

  get openSockets(): number {
    return this.sockets.size;
  }

  stop(): void {
    this.cutAll();
    this.listener.stop(true);
  }
}
