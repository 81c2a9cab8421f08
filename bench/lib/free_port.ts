/**
 * Finds a free TCP port on 127.0.0.1 by letting the kernel pick one (port 0) and releasing it.
 * Only for peers that must be told a port on their command line (redis-server, etcd); servers
 * we start in process listen on port 0 directly.
 */
export function findFreePort(): number {
  const listener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: { data() {} },
  });
  const port = listener.port;
  listener.stop(true);
  return port;
}
