/**
 * One client-port server per test, on 127.0.0.1 and port 0, with the raw clients the test opens
 * to it: a file calls `serverPerTest()` once at its top, and after each of its tests the clients
 * and the server are closed, so no test sees another's connections or limits.
 */
import { afterEach } from "bun:test";
import { startServer, type RunningServer } from "../../src/net/server";
import { RawClient } from "./raw_client";

type ServerOptions = Parameters<typeof startServer>[0];

interface ServerPerTest {
  /** Starts this test's server with `options`, on 127.0.0.1 and a free port. */
  start(options: Omit<ServerOptions, "host" | "port">): Promise<RunningServer>;
  /** This test's server, once started and until closed. */
  running(): RunningServer;
  /** A raw client connected to `port`, closed after the test. */
  client(port: number): Promise<RawClient>;
  /** Closes this test's server now, which writes the log lines it still holds back. */
  close(): Promise<void>;
}

export function serverPerTest(): ServerPerTest {
  let server: RunningServer | null = null;
  const clients: RawClient[] = [];
  const close = async () => {
    await server?.close();
    server = null;
  };
  afterEach(async () => {
    for (const raw of clients.splice(0)) raw.close();
    await close();
  });
  return {
    start: async (options) => {
      server = await startServer({ host: "127.0.0.1", port: 0, ...options });
      return server;
    },
    running: () => {
      if (server === null) throw new Error("no server is running: call start() first");
      return server;
    },
    client: async (port) => {
      const raw = await RawClient.connect(port);
      clients.push(raw);
      return raw;
    },
    close,
  };
}
