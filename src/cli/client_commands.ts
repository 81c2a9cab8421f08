/**
 * The data commands (put, get, del, cas, batch, scan, latency): each checks its arguments,
 * connects to one server, runs its requests, writes pipe-friendly output and returns its exit
 * code. Every usage mistake is found before connecting. They take the store as a parameter so
 * tests can drive them without a server.
 */
import type { BatchOperation, BatchOutcome } from "../client/types.ts";
import { parseBatchLines } from "./batch_input.ts";
import { defaultServerAddress, requestTimeoutMsDefault } from "./commands.ts";
import { ExitCode, type ExitCodeValue } from "./exit_codes.ts";
import { jsonEntryLine } from "./json_lines.ts";
import { runLatencyProbe } from "./latency_probe.ts";
import { escapeForLine } from "./line_escape.ts";
import { readStdin, writeErrorLine, writeStdout } from "./output.ts";
import { positiveIntegerOption } from "./parse.ts";
import { readOptionsOf, type ReadOptions } from "./read_options.ts";

type Bytes = string | Uint8Array;
type ScanOptions = { prefix?: string; limit?: number } & ReadOptions;

/** The part of the public client the CLI uses. */
export interface CliStore {
  put(key: string, value: Bytes): Promise<{ version: bigint | number }>;
  get(key: string, options?: ReadOptions): Promise<Uint8Array | null>;
  delete(key: string): Promise<boolean>;
  cas(key: string, expected: Bytes | null, next: Bytes): Promise<boolean>;
  batch(operations: BatchOperation[]): Promise<BatchOutcome>;
  scan(options: ScanOptions): AsyncIterable<{ key: Uint8Array; value: Uint8Array; version: bigint }>;
  close(): Promise<void>;
}

export type ConnectStore = (address: string, timeoutMs: number) => Promise<CliStore>;

interface ClientCommandInput {
  command: string;
  positionals: string[];
  options: Record<string, string | boolean | undefined>;
  /** Whether stdout is a terminal (get then ends its output with a newline). */
  stdoutIsTerminal: boolean;
}

/** A request timeout longer than an hour is a typo, not a wish. */
const requestTimeoutMsMax = 3_600_000;
/** Scan lines are written to stdout in chunks of about this many bytes (fewer writes for pipes). */
const scanOutputChunkBytes = 64 * 1024;
/** `scan --limit` upper bound: Number.MAX_SAFE_INTEGER means "all", so anything is accepted. */
const scanLimitMax = Number.MAX_SAFE_INTEGER;
/** latency: an interval over an hour would print too rarely to watch. */
const latencyIntervalMsMax = 3_600_000;
const latencyIntervalMsDefault = 1000;
/** latency: redis-cli waits 10 ms between probes too: a probe, not a load. */
const latencyGapMsDefault = 10;
const latencyGapMsMax = 60_000;
const latencyKeyDefault = "filestore-latency-probe";

/** What a command will do once connected; built before connecting so usage errors come first. */
type Run = (store: CliStore) => Promise<ExitCodeValue>;

export async function runClientCommand(input: ClientCommandInput, connect: ConnectStore): Promise<ExitCodeValue> {
  const server = (input.options.server as string | undefined) ?? defaultServerAddress;
  const timeoutText = input.options["timeout-ms"] as string | undefined;
  const timeoutMs =
    positiveIntegerOption(input.command, "timeout-ms", timeoutText, requestTimeoutMsMax) ?? requestTimeoutMsDefault;
  const run = await planCommand(input);
  const store = await connect(server, timeoutMs);
  try {
    return await run(store);
  } finally {
    await store.close();
  }
}

async function planCommand(input: ClientCommandInput): Promise<Run> {
  const { command, positionals, options } = input;
  const json = options.json === true;
  switch (command) {
    case "put": {
      const value = positionals[1] === "-" ? await readStdin() : positionals[1];
      return (store) => put(store, positionals[0], value);
    }
    case "get": {
      const read = readOptionsOf(command, options);
      return (store) => get(store, positionals[0], read, { json, stdoutIsTerminal: input.stdoutIsTerminal });
    }
    case "del":
      return (store) => del(store, positionals[0]);
    case "cas":
      return await planCas(positionals, options.absent === true);
    case "batch": {
      const operations = parseBatchLines(new TextDecoder().decode(await readStdin()));
      return (store) => batch(store, operations);
    }
    case "latency":
      return planLatency(options);
    default: {
      const limit = positiveIntegerOption(command, "limit", options.limit as string | undefined, scanLimitMax);
      const scanOptions = { ...readOptionsOf(command, options), prefix: options.prefix as string | undefined, limit };
      return (store) => scan(store, scanOptions, { keysOnly: options["keys-only"] === true, json });
    }
  }
}

async function put(store: CliStore, key: string, value: Bytes): Promise<ExitCodeValue> {
  const { version } = await store.put(key, value);
  await writeStdout(`${version}\n`);
  return ExitCode.ok;
}

async function get(
  store: CliStore,
  key: string,
  read: ReadOptions,
  output: { json: boolean; stdoutIsTerminal: boolean },
): Promise<ExitCodeValue> {
  const value = await store.get(key, read);
  if (value === null) {
    await writeErrorLine(`not found: ${escapeForLine(new TextEncoder().encode(key))}`);
    return ExitCode.notFound;
  }
  if (output.json) {
    await writeStdout(jsonEntryLine({ key: new TextEncoder().encode(key), value }));
    return ExitCode.ok;
  }
  await writeStdout(value);
  if (output.stdoutIsTerminal) await writeStdout("\n");
  return ExitCode.ok;
}

async function del(store: CliStore, key: string): Promise<ExitCodeValue> {
  if (await store.delete(key)) return ExitCode.ok;
  await writeErrorLine(`not found: ${escapeForLine(new TextEncoder().encode(key))}`);
  return ExitCode.notFound;
}

/** cas KEY EXPECTED NEW, or cas --absent KEY NEW; NEW - reads it from stdin. */
async function planCas(positionals: string[], absent: boolean): Promise<Run> {
  const [key, expected, next] = absent ? [positionals[0], null, positionals[1]] : positionals;
  const value = next === "-" ? await readStdin() : next;
  return async (store) => {
    if (await store.cas(key, expected, value)) return ExitCode.ok;
    const shown = escapeForLine(new TextEncoder().encode(key));
    await writeErrorLine(`cas: ${shown} ${absent ? "exists" : "did not hold the expected value"}; nothing was written`);
    return ExitCode.conditionNotMet;
  };
}

async function batch(store: CliStore, operations: BatchOperation[]): Promise<ExitCodeValue> {
  const outcome = await store.batch(operations);
  if (outcome.succeeded) {
    await writeStdout(`${outcome.version}\n`);
    return ExitCode.ok;
  }
  await writeErrorLine("batch: a cas in it did not hold; nothing was applied");
  return ExitCode.conditionNotMet;
}

type ScanOutput = { keysOnly: boolean; json: boolean };

async function scan(store: CliStore, request: ScanOptions, output: ScanOutput): Promise<ExitCodeValue> {
  let chunk = "";
  for await (const entry of store.scan(request)) {
    if (output.json) chunk += jsonEntryLine(output.keysOnly ? { key: entry.key } : entry);
    else if (output.keysOnly) chunk += `${escapeForLine(entry.key)}\n`;
    else chunk += `${escapeForLine(entry.key)}\t${escapeForLine(entry.value)}\n`;
    if (chunk.length >= scanOutputChunkBytes) {
      await writeStdout(chunk);
      chunk = "";
    }
  }
  if (chunk.length > 0) await writeStdout(chunk);
  return ExitCode.ok;
}

/** Probes until --count intervals are printed or SIGINT (Ctrl-C) arrives; either way exit 0. */
function planLatency(options: Record<string, string | boolean | undefined>): Run {
  const text = (name: string) => options[name] as string | undefined;
  const intervalMs = positiveIntegerOption("latency", "interval-ms", text("interval-ms"), latencyIntervalMsMax);
  const intervalsCount = positiveIntegerOption("latency", "count", text("count"), Number.MAX_SAFE_INTEGER);
  const gapText = text("gap-ms");
  const gapMs = gapText === "0" ? 0 : positiveIntegerOption("latency", "gap-ms", gapText, latencyGapMsMax);
  const probe = {
    key: text("key") ?? latencyKeyDefault,
    intervalMs: intervalMs ?? latencyIntervalMsDefault,
    intervalsCount,
    gapMs: gapMs ?? latencyGapMsDefault,
    read: readOptionsOf("latency", options),
  };
  return async (store) => {
    const stop = new AbortController();
    const onInterrupt = () => stop.abort();
    process.on("SIGINT", onInterrupt);
    try {
      await runLatencyProbe(store, { ...probe, stop: stop.signal }, writeStdout);
    } finally {
      process.off("SIGINT", onInterrupt);
    }
    return ExitCode.ok;
  };
}
