/**
 * Starting and stopping peer processes (redis-server, etcd, FileStore servers) for a
 * benchmark: spawn, wait until a TCP port accepts connections, and stop with SIGTERM then
 * SIGKILL. Every wait is bounded.
 */
import type { Subprocess } from "bun";
import { sleepMilliseconds } from "./clock.ts";
import { BenchError } from "./errors.ts";
import { findFreePort } from "./free_port.ts";
import { makeTempDirectory, removeTempDirectory } from "./temp_directory.ts";

/** A peer that does not accept connections within this time is reported as failed to start. */
export const startTimeoutMilliseconds = 10_000;
/** Time between connection attempts while waiting for a peer to listen. */
const connectRetryMilliseconds = 25;
/** Grace period after SIGTERM before SIGKILL, enough for a clean shutdown of an idle peer. */
const stopGraceMilliseconds = 3_000;

export function isExecutableOnPath(name: string): boolean {
  return Bun.which(name) !== null;
}

/**
 * Output goes to a log file rather than a pipe: a chatty peer (etcd logs every request at
 * start-up) would block once an unread pipe fills.
 */
export function spawnPeer(command: string[], logPath: string, workingDirectory?: string): Subprocess {
  const log = Bun.file(logPath);
  return Bun.spawn(command, { cwd: workingDirectory, stdin: "ignore", stdout: log, stderr: log });
}

/** Resolves once 127.0.0.1:port accepts a TCP connection; throws if the process exits first. */
export async function waitForPort(port: number, child?: Subprocess): Promise<void> {
  const deadline = Date.now() + startTimeoutMilliseconds;
  while (Date.now() < deadline) {
    if (child?.exitCode !== null && child?.exitCode !== undefined) {
      throw new BenchError(`process exited with code ${child.exitCode} before listening on ${port}`);
    }
    if (await canConnect(port)) return;
    await sleepMilliseconds(connectRetryMilliseconds);
  }
  throw new BenchError(`nothing listened on 127.0.0.1:${port} within ${startTimeoutMilliseconds} ms`);
}

async function canConnect(port: number): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    socket.end();
    return true;
  } catch {
    return false;
  }
}

export async function stopPeer(child: Subprocess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill("SIGTERM");
  const exited = await Promise.race([
    child.exited.then(() => true),
    sleepMilliseconds(stopGraceMilliseconds).then(() => false),
  ]);
  if (!exited) {
    child.kill("SIGKILL");
    await child.exited;
  }
}

/** Enough of a peer's log to explain why it failed, without flooding the terminal. */
const logTailCharactersMax = 800;

/** The end of a peer's log file, for an error message. */
export async function readLogTail(logPath: string): Promise<string> {
  const file = Bun.file(logPath);
  if (!(await file.exists())) return "";
  const text = await file.text();
  return text.slice(-logTailCharactersMax).trim();
}

/** Waits until the peer's log holds a line matching `pattern` (e.g. its "listening" line). */
export async function waitForLogLine(logPath: string, pattern: RegExp, child: Subprocess): Promise<RegExpMatchArray> {
  const deadline = Date.now() + startTimeoutMilliseconds;
  while (Date.now() < deadline) {
    const file = Bun.file(logPath);
    const match = (await file.exists()) ? (await file.text()).match(pattern) : null;
    if (match) return match;
    if (child.exitCode !== null) {
      throw new BenchError(`process exited with code ${child.exitCode}: ${await readLogTail(logPath)}`);
    }
    await sleepMilliseconds(connectRetryMilliseconds);
  }
  throw new BenchError(`no line matching ${pattern} within ${startTimeoutMilliseconds} ms: ${await readLogTail(logPath)}`);
}

/** A peer process listening on a port of 127.0.0.1; stop() ends it and removes its folder. */
export interface RunningPeer {
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts a peer that listens on a TCP port: a fresh temp folder and free port, `command(port,
 * directory)` spawned with its output in the folder's log, and a bounded wait for the port. A peer
 * that does not come up is stopped, its folder removed, and reported with the tail of its log.
 */
export async function startListeningPeer(label: string, command: (port: number, directory: string) => string[]): Promise<RunningPeer> {
  const directory = makeTempDirectory(label);
  const port = findFreePort();
  const logPath = `${directory}/${label}.log`;
  const child = spawnPeer(command(port, directory), logPath);
  const stop = async () => {
    await stopPeer(child);
    removeTempDirectory(directory);
  };
  try {
    await waitForPort(port, child);
  } catch (error) {
    const tail = await readLogTail(logPath);
    await stop();
    throw new BenchError(`${label} did not start: ${(error as Error).message} ${tail}`);
  }
  return { port, stop };
}
