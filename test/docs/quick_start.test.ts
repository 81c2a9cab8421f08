/**
 * The README's Quick start, run as a new user runs it: a fresh clone of this repository's HEAD,
 * then every command of the section's ```sh blocks, in order, with Node.js and npm on PATH and
 * no Bun (`npm install` must bring it). Commands run as written, with these exceptions:
 * - the node of `npm start` listens on free ports (port 0) instead of 7400/7401, so the test never
 *   meets another node on this machine, and `put`/`get`/`del`/`scan` are pointed at it (--server);
 * - `npm test` is only checked to be a script naming scripts that exist: running it here would
 *   run this test again;
 * - npm's global folder (`npm link`) and, except for `npm install`, its cache are temporary.
 * It checks what each command promises (the ready line, a get returning what a put stored, a
 * clean SIGTERM stop) and that the clone's git tree is clean afterwards.
 * Skipped, saying so, only when the npm registry cannot be reached (`npm ping`).
 */
import type { Subprocess } from "bun";
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { sectionCommands } from "./readme_commands.ts";

const repositoryRoot = join(import.meta.dir, "../..");
const commands = sectionCommands(await Bun.file(join(repositoryRoot, "README.md")).text(), "Quick start");
/** A bound on hangs, not a measure: npm install takes ~5 s from a warm cache, ~30 s from a cold one. */
const npmInstallWaitMsMax = 240_000;
/** A bound on hangs for every other command (npx alone takes ~2 s on a loaded 2-core machine). */
const commandWaitMsMax = 60_000;
/** `npm ping` answers in about a second when the registry is there. */
const registryPingWaitMsMax = 20_000;
/** Where a shell finds sh, git, readlink and the like besides Node's folder (those holding a bun are left out). */
const systemPath = ["/usr/local/bin", "/usr/bin", "/bin"];

const workDir = mkdtempSync(join(tmpdir(), "filestore-quick-start-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));
const cloneDir = join(workDir, "filestore");
const globalPrefix = join(workDir, "npm-global");

interface Outcome {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of every command: the test's own minus npm's run-script variables, plus a bare PATH. */
function commandEnvironment(command: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    // `npm test` sets npm_config_local_prefix, npm_package_* and more: they would point the inner
    // npm at this checkout instead of the clone.
    if (value !== undefined && !/^npm_/i.test(name) && name !== "INIT_CWD") env[name] = value;
  }
  env.PATH = barePath();
  env.npm_config_prefix = globalPrefix;
  if (command.startsWith("npm install")) {
    Object.assign(env, { npm_config_prefer_offline: "true", npm_config_audit: "false", npm_config_fund: "false" });
  } else {
    env.npm_config_cache = join(workDir, "npm-cache"); // npx records each checkout it ran in the cache
  }
  return env;
}

/** npm's global bin folder (where `npm link` puts `filestore`), Node's folder and the system's, without Bun. */
function barePath(): string {
  const node = Bun.which("node");
  if (node === null) throw new Error("node is not on PATH: the Quick start needs Node.js and npm");
  const system = systemPath.filter((folder) => !existsSync(join(folder, "bun")));
  const path = [join(globalPrefix, "bin"), dirname(node), ...system].join(delimiter);
  const bun = Bun.which("bun", { PATH: path });
  if (bun !== null) throw new Error(`a bun beside node (${bun}) would hide a Quick start that needs one`);
  return path;
}

/** Ends whatever is left of a command's process group (a hung command, a node a failed stop left behind). */
function killGroup(groupLeader: number): void {
  try {
    process.kill(-groupLeader, "SIGKILL");
  } catch {
    // ESRCH: nothing of the group is left, the usual case.
  }
}

async function run(command: string, waitMsMax: number): Promise<Outcome> {
  const child = Bun.spawn(["/bin/sh", "-c", command], {
    cwd: cloneDir,
    env: commandEnvironment(command),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    detached: true, // its own process group, so a hang is ended whole
  });
  const hang = setTimeout(() => killGroup(child.pid), waitMsMax);
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  clearTimeout(hang);
  return { exitCode, stdout, stderr };
}

/** `null` when `npm ping` reaches the registry; otherwise why not. */
async function registryProblem(): Promise<string | null> {
  const env = { ...process.env, PATH: barePath() };
  const child = Bun.spawn(["npm", "ping"], { env, stdout: "pipe", stderr: "pipe" });
  const hang = setTimeout(() => child.kill("SIGKILL"), registryPingWaitMsMax);
  const [stderr, exitCode] = await Promise.all([new Response(child.stderr).text(), child.exited]);
  clearTimeout(hang);
  if (exitCode === 0) return null;
  const reason = stderr.trim().split("\n").at(-1) ?? "";
  return `the npm registry is unreachable (npm ping exited ${exitCode}: ${reason})`;
}

/** The node of `npm start`, with its output read line by line. */
class StartedNode {
  private text = "";
  private readonly reader;
  private readonly decoder = new TextDecoder();

  constructor(private readonly child: Subprocess<"ignore", "pipe", "inherit">) {
    this.reader = child.stdout.getReader();
  }

  /** Reads output until a line matches; null when the output ends or the bound passes first. */
  async lineMatching(pattern: RegExp, waitMsMax: number): Promise<RegExpExecArray | null> {
    const deadline = performance.now() + waitMsMax;
    for (;;) {
      const found = this.text.split("\n").map((line) => pattern.exec(line)).find((match) => match !== null);
      if (found !== undefined) return found;
      const remaining = deadline - performance.now();
      if (remaining <= 0) return null;
      const timeout = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), remaining));
      const chunk = await Promise.race([this.reader.read(), timeout]);
      if (chunk === "timeout" || chunk.done) return null;
      this.text += this.decoder.decode(chunk.value, { stream: true });
    }
  }

  get output(): string {
    return this.text;
  }

  /** SIGTERM to npm alone, as a process manager sends it; npm must pass it on to the node. */
  async stop(): Promise<number | null> {
    this.child.kill("SIGTERM");
    return await this.child.exited;
  }

  killLeftovers(): void {
    killGroup(this.child.pid);
  }
}

/** `npm start` with port 0 flags appended (npm passes what follows `--` to the script). */
async function startNode(command: string): Promise<{ node: StartedNode; client: string }> {
  const withFreePorts = `${command} -- --listen 127.0.0.1:0 --admin 127.0.0.1:0`;
  // exec: the test's SIGTERM goes to npm itself, as a process manager's would.
  const child = Bun.spawn(["/bin/sh", "-c", `exec ${withFreePorts}`], {
    cwd: cloneDir,
    env: commandEnvironment(command),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "inherit",
    detached: true, // its own process group: whatever a failed stop leaves behind can be ended
  });
  const node = new StartedNode(child);
  const ready = await node.lineMatching(/^filestore listening client=(\S+) admin=(\S+)/, commandWaitMsMax);
  const failure = ready === null ? node.output : "";
  expect({ command, ready: ready !== null, failure }).toEqual({ command, ready: true, failure: "" });
  return { node, client: ready![1] };
}

/** `npm test` cannot run inside the suite it starts; it must be a script whose `bun run`/`npm run` steps exist. */
async function checkTestScript(): Promise<void> {
  const { scripts } = (await Bun.file(join(cloneDir, "package.json")).json()) as { scripts: Record<string, string> };
  expect(scripts.test).toBeString();
  const named = [...scripts.test.matchAll(/\b(?:bun|npm) run (\S+)/g)].map((match) => match[1]);
  expect(named.filter((name) => scripts[name] === undefined)).toEqual([]);
}

const clientCommandPattern = /^(?:npx )?filestore (put|get|del|scan)\b/;
const putPattern = /^(?:npx )?filestore put (\S+) (\S+)$/;
const getPattern = /^(?:npx )?filestore get (\S+)$/;

/** What the Quick start must show, so that dropping a step from the README fails here. */
const requiredSteps: Array<[string, RegExp]> = [
  ["npm install", /^npm install$/],
  ["npm start", /^npm start$/],
  ["npm test", /^npm test$/],
  ["a put through npx", /^npx filestore put /],
  ["a get through npx", /^npx filestore get /],
  ["npm link", /^npm link$/],
  ["a plain filestore after npm link", /^filestore /],
];

test("the Quick start shows every step a new user takes", () => {
  const missing = requiredSteps.filter(([, pattern]) => !commands.some((command) => pattern.test(command)));
  expect(missing.map(([step]) => step)).toEqual([]);
});

const registryUnreachable = await registryProblem();
if (registryUnreachable !== null) console.warn(`README Quick start test skipped: ${registryUnreachable}`);
const quickStartTest = registryUnreachable === null ? test : test.skip;

quickStartTest("the Quick start's commands run as written in a fresh clone, which stays clean", async () => {
  const clone = Bun.spawnSync(["git", "clone", "--quiet", repositoryRoot, cloneDir], { stderr: "pipe" });
  expect(clone.stderr.toString()).toBe("");
  const stored = new Map<string, string>();
  let started: { node: StartedNode; client: string } | undefined;
  try {
    for (const command of commands) {
      if (command === "npm start") started = await startNode(command);
      else if (command === "npm test") await checkTestScript();
      else await runCommand(command, started?.client, stored);
    }
    expect(started).toBeDefined();
    expect(await started!.node.stop()).toBe(0);
    expect(await started!.node.lineMatching(/^filestore stopped signal=SIGTERM$/, commandWaitMsMax)).not.toBeNull();
    const status = await run("git status --porcelain", commandWaitMsMax);
    expect(status).toEqual({ exitCode: 0, stdout: "", stderr: "" });
  } finally {
    started?.node.killLeftovers();
  }
}, npmInstallWaitMsMax + 8 * commandWaitMsMax);

/** Runs one command (client commands against the started node) and checks what it promises. */
async function runCommand(command: string, client: string | undefined, stored: Map<string, string>): Promise<void> {
  const isClientCommand = clientCommandPattern.test(command) && client !== undefined;
  const pointed = isClientCommand ? `${command} --server ${client}` : command;
  const outcome = await run(pointed, command.startsWith("npm install") ? npmInstallWaitMsMax : commandWaitMsMax);
  const failure = outcome.exitCode === 0 ? "" : outcome.stderr;
  expect({ command, exitCode: outcome.exitCode, failure }).toEqual({ command, exitCode: 0, failure: "" });
  const put = putPattern.exec(command);
  if (put !== null) stored.set(put[1], put[2]);
  const get = getPattern.exec(command);
  // get prints exactly the stored bytes (no newline: stdout is a pipe here).
  if (get !== null) expect({ command, stdout: outcome.stdout }).toEqual({ command, stdout: stored.get(get[1]) ?? "" });
}
