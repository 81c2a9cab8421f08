/**
 * A real `filestore serve` for the client suites that run under Bun and under Node.js: the
 * server is Bun-only, so it always runs as a Bun child process (this Bun under Bun, the
 * project's node_modules/.bin/bun under Node), on 127.0.0.1 with free ports (port 0, read back
 * from its ready line), data in a temporary folder removed at stop. Only node: modules here, so
 * the file runs in both runtimes.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Longest a node may take to print its ready line: generous for a loaded 2-core machine. */
const readyWaitMsMax = 30_000;
/** Folders walked up from this file to find the repository (its depth differs once bundled for Node). */
const repositorySearchDepthMax = 8;
const clientAddressPattern = /\bclient=(\S+:\d+)/;
const adminAddressPattern = /\badmin=(\S+:\d+)/;

/** The folder holding the project's package.json (name "filestore"). */
export function repositoryRoot(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < repositorySearchDepthMax; depth++) {
    const manifest = join(folder, "package.json");
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === "filestore") return folder;
    folder = dirname(folder);
  }
  throw new Error(`no filestore package.json above ${fileURLToPath(import.meta.url)}`);
}

function bunExecutable(root: string): string {
  return process.versions.bun !== undefined ? process.execPath : join(root, "node_modules", ".bin", "bun");
}

export interface FileStoreProcess {
  clientAddress: string;
  adminAddress: string;
  stop(): Promise<void>;
}

/** Starts `filestore serve` on free ports and waits for its ready line. */
export async function startFileStore(): Promise<FileStoreProcess> {
  const root = repositoryRoot();
  const data = mkdtempSync(join(tmpdir(), "filestore-client-suite-"));
  const child = spawn(bunExecutable(root), [
    join(root, "src", "main.ts"), "serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--data", data,
  ], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
    rmSync(data, { recursive: true, force: true });
  };
  try {
    const ready = await readyLine(child);
    const clientAddress = clientAddressPattern.exec(ready)![1]!;
    return { clientAddress, adminAddress: adminAddressPattern.exec(ready)![1]!, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The first output line naming both addresses; rejects if the process exits or takes too long. */
function readyLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const output: string[] = [];
    const timer = setTimeout(() => {
      reject(new Error(`serve printed no ready line in ${readyWaitMsMax} ms: ${output.join("")}`));
    }, readyWaitMsMax);
    const onText = (chunk: Buffer) => {
      output.push(chunk.toString());
      const lines = output.join("").split("\n");
      const line = lines.find((text) => clientAddressPattern.test(text) && adminAddressPattern.test(text));
      if (line === undefined) return;
      clearTimeout(timer);
      resolve(line);
    };
    child.stdout!.on("data", onText);
    child.stderr!.on("data", onText);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before it was ready: ${output.join("")}`));
    });
  });
}

/** A TCP server on 127.0.0.1 that accepts connections and never answers (a hung server). */
export async function startSilentServer(): Promise<{ address: string; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    address: `127.0.0.1:${port}`,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An address where nothing listens: a port just bound and released. */
export async function closedAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}
