/**
 * FileStore as a system under test: a server started as its own process through the CLI
 * (`bun src/main.ts serve`, on port 0 in a temporary data folder), and clients from the public
 * client library. Both are loaded by path at run time, so the bench runs (and says what is
 * missing) before they exist.
 */
import type { Subprocess } from "bun";
import { readLogTail, spawnPeer, stopPeer, waitForLogLine } from "./child_process.ts";
import { makeTempDirectory, removeTempDirectory } from "./temp_directory.ts";

/** The part of the public client (src/client/index.ts) the benchmarks use. */
export interface FileStoreClient {
  get(key: string | Uint8Array, options?: { consistency?: "strong" | "bounded" | "eventual" }): Promise<Uint8Array | null>;
  put(key: string | Uint8Array, value: string | Uint8Array): Promise<{ version: bigint }>;
  close(): Promise<void>;
}

type Connect = (address: string, options?: { timeoutMs?: number }) => Promise<FileStoreClient>;

/** Per-request timeout of bench clients: far above any healthy latency, so only a stuck server trips it. */
const clientRequestTimeoutMilliseconds = 10_000;

const mainPath = new URL("../../src/main.ts", import.meta.url).pathname;
const clientPath = new URL("../../src/client/index.ts", import.meta.url).pathname;

/** Why FileStore cannot be benchmarked yet, or null when it can. */
export async function fileStoreMissing(): Promise<string | null> {
  if (!(await Bun.file(mainPath).exists())) return "src/main.ts (the serve command) is not there yet";
  if (!(await Bun.file(clientPath).exists())) return "src/client/index.ts (the client) is not there yet";
  const client = (await import(clientPath)) as { connect?: unknown };
  if (typeof client.connect !== "function") return "src/client/index.ts does not export connect() yet";
  return null;
}

export interface FileStoreServer {
  address: string;
  /** Why the server is gone (exit code and the end of its log) when it exited by itself; else null. */
  describeExit(): Promise<string | null>;
  stop(): Promise<void>;
}

export async function startFileStoreServer(fsync: "always" | "batch" | "unsafe-no-fsync"): Promise<FileStoreServer> {
  const directory = makeTempDirectory("filestore");
  const logPath = `${directory}/server.log`;
  const command = [
    process.execPath, mainPath, "serve", "--data", `${directory}/data`,
    "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--fsync", fsync,
  ];
  const child: Subprocess = spawnPeer(command, logPath);
  try {
    const match = await waitForLogLine(logPath, /listening client=(\S+)/, child);
    return {
      address: match[1],
      async describeExit() {
        if (child.exitCode === null && child.signalCode === null) return null;
        return `filestore server exited (code ${child.exitCode}, signal ${child.signalCode}): ${await readLogTail(logPath)}`;
      },
      async stop() {
        await stopPeer(child);
        removeTempDirectory(directory);
      },
    };
  } catch (error) {
    await stopPeer(child);
    removeTempDirectory(directory);
    throw error;
  }
}

export async function connectClients(address: string, count: number): Promise<FileStoreClient[]> {
  const { connect } = (await import(clientPath)) as { connect: Connect };
  return Promise.all(Array.from({ length: count }, () => connect(address, { timeoutMs: clientRequestTimeoutMilliseconds })));
}

export async function closeClients(clients: FileStoreClient[]): Promise<void> {
  await Promise.all(clients.map((client) => client.close()));
}
