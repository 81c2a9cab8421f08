/**
 * Helpers for tests that run the real `filestore` program: start `serve` on free ports (port 0,
 * the bound ports read back from its ready line), run CLI commands, collect output and exit codes.
 */
import type { Subprocess } from "bun";
import { afterAll, beforeAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const repositoryRoot = join(import.meta.dir, "../..");
/** The program as run from source: the bun running these tests, on src/main.ts. */
export const sourceProgram = [process.execPath, join(repositoryRoot, "src/main.ts")];
/** Longest a node may take to print its ready line or to exit; generous for a loaded 2-core machine. */
export const processWaitMsMax = 30_000;

export function makeTempDir(label: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `filestore-${label}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Collects a stream's lines as they arrive and lets a test wait for one. */
class LineCollector {
  readonly lines: string[] = [];
  private pending = "";
  private waiters: Array<() => void> = [];
  ended = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    void this.pump(stream);
  }

  private async pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      this.pending += decoder.decode(chunk, { stream: true });
      const parts = this.pending.split("\n");
      this.pending = parts.pop() ?? "";
      this.lines.push(...parts);
      this.notify();
    }
    if (this.pending !== "") this.lines.push(this.pending);
    this.ended = true;
    this.notify();
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  async waitFor(predicate: (line: string) => boolean, timeoutMs: number): Promise<string | null> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(predicate);
      if (found !== undefined) return found;
      if (this.ended || performance.now() >= deadline) return null;
      const remaining = deadline - performance.now();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

export interface ServeProcess {
  process: Subprocess<"ignore", "pipe", "pipe">;
  /** HOST:PORT of the client port, as printed by the ready line. */
  clientAddress: string;
  clientPort: number;
  adminUrl: string;
  stdout: LineCollector;
  stderr: LineCollector;
  /** Sends a signal and waits for the exit code. */
  stop(signal: "SIGTERM" | "SIGINT" | "SIGKILL"): Promise<number>;
}

const readyLinePattern = /^filestore listening client=(\S+):(\d+) admin=(\S+) /;

/** Starts `serve` with the given extra arguments and waits for its ready line. */
export async function startServe(program: string[], args: string[]): Promise<ServeProcess> {
  const child = Bun.spawn([...program, "serve", ...args], {
    cwd: repositoryRoot,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const stdout = new LineCollector(child.stdout);
  const stderr = new LineCollector(child.stderr);
  const ready = await stdout.waitFor((line) => readyLinePattern.test(line), processWaitMsMax);
  if (ready === null) {
    child.kill("SIGKILL");
    await child.exited;
    throw new Error(`serve did not become ready: ${stderr.lines.join(" | ")}`);
  }
  const match = readyLinePattern.exec(ready)!;
  return {
    process: child,
    clientAddress: `${match[1]}:${match[2]}`,
    clientPort: Number(match[2]),
    adminUrl: `http://${match[3]}`,
    stdout,
    stderr,
    stop: async (signal) => {
      child.kill(signal);
      return await child.exited;
    },
  };
}

/** A temp folder for one test file and the `serve` nodes its tests start. */
interface NodesPerFile {
  readonly folder: string;
  /** Starts `serve` with `args`; a node still running after the file's last test is killed then. */
  start(args: string[]): Promise<ServeProcess>;
}

/** Call once at the top of a test file: after its last test, nodes left running are killed and the folder removed. */
export function nodesPerFile(label: string): NodesPerFile {
  const workDir = makeTempDir(label);
  const started: ServeProcess[] = [];
  afterAll(async () => {
    for (const node of started) if (node.process.exitCode === null) await node.stop("SIGKILL");
    workDir.remove();
  });
  return {
    folder: workDir.path,
    start: async (args) => {
      const node = await startServe(sourceProgram, args);
      started.push(node);
      return node;
    },
  };
}

/** One `serve` node that all of a test file's tests share, with data in `<folder>/node`. */
interface NodePerFile {
  readonly folder: string;
  /** The node, once the file's first test is about to run. */
  readonly node: ServeProcess;
  /** Runs a CLI command against the node: `--server` and its client address follow `args`. */
  cli(args: string[], stdin?: Uint8Array | string): Promise<CommandResult>;
}

/** Call once at the top of a test file: the node starts before its first test and stops (SIGTERM) after its last. */
export function nodePerFile(label: string): NodePerFile {
  const workDir = makeTempDir(label);
  let node: ServeProcess | undefined;
  beforeAll(async () => {
    node = await startServe(sourceProgram, freshNodeArgs(join(workDir.path, "node")));
  });
  afterAll(async () => {
    await node?.stop("SIGTERM");
    workDir.remove();
  });
  const shared: NodePerFile = {
    folder: workDir.path,
    get node() {
      if (node === undefined) throw new Error("the shared node is not started yet: use it inside a test");
      return node;
    },
    cli: (args, stdin) => runCommand(sourceProgram, [...args, "--server", shared.node.clientAddress], stdin),
  };
  return shared;
}

/** The line a second process on `folder` prints (exit 5) while the node with `pid` holds the folder. */
export function folderInUseLine(folder: string, pid: number): string {
  return `filestore: data folder ${folder} is in use by another filestore process (pid ${pid}); `
    + "stop it or use another --data\n";
}

/** Serve arguments for a node on free ports over `dataDir`. */
export function freshNodeArgs(dataDir: string, listen = "127.0.0.1:0"): string[] {
  return ["--listen", listen, "--admin", "127.0.0.1:0", "--data", dataDir];
}

export interface CommandResult {
  exitCode: number;
  stdout: Uint8Array;
  stdoutText: string;
  stderrText: string;
}

/**
 * The `filestore: ...` error lines of a command's stderr. `serve` also writes its operational log
 * there (logfmt or JSON lines), so a test of a failed start looks for its error line among them.
 */
export function errorLines(stderrText: string): string[] {
  return stderrText.split("\n").filter((line) => line.startsWith("filestore: "));
}

/** Runs one CLI command to completion, optionally feeding stdin. */
export async function runCommand(program: string[], args: string[], stdin?: Uint8Array | string): Promise<CommandResult> {
  const child = Bun.spawn([...program, ...args], {
    cwd: repositoryRoot,
    stdin: stdin === undefined ? "ignore" : new Blob([stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderrText, exitCode] = await Promise.all([
    new Response(child.stdout).bytes(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { exitCode, stdout, stdoutText: new TextDecoder().decode(stdout), stderrText };
}
