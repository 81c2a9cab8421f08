/**
 * Finds a free TCP port on 127.0.0.1 for a process that must be told its port (and its peers'
 * ports) on the command line: redis-server, etcd, FileStore replicas. Servers started in process
 * listen on port 0 directly instead.
 *
 * Ports come from below Linux's default ephemeral range (32768–60999): a port the kernel hands
 * out for port 0 is also what it hands out to outgoing connections, so a reserved-then-released
 * ephemeral port can be taken by some peer's connect() before the process meant for it binds
 * it. Below that range nothing is assigned behind our back; each candidate is still checked
 * by binding it.
 */
const candidatePortMin = 20_000;
const candidatePortMaxExclusive = 32_768;
/** Candidates tried before giving up: a busy machine still has thousands free. */
const candidateAttemptsMax = 200;

function isFree(port: number): boolean {
  try {
    const listener = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
    listener.stop(true);
    return true;
  } catch {
    return false;
  }
}

/** Ports handed out by this process, so two calls never return the same one. */
const handedOut = new Set<number>();

export function findFreePort(): number {
  for (let attempt = 0; attempt < candidateAttemptsMax; attempt++) {
    const port = candidatePortMin + Math.floor(Math.random() * (candidatePortMaxExclusive - candidatePortMin));
    if (handedOut.has(port) || !isFree(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port found in ${candidatePortMin}..${candidatePortMaxExclusive - 1} after ${candidateAttemptsMax} tries`);
}
