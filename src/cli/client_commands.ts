/**
 * put, get, del and scan: each connects to one server, runs one request (or one scan), writes
 * pipe-friendly output and returns its exit code. They take the store as a parameter so tests
 * can drive them without a server.
 */
import { defaultServerAddress, requestTimeoutMsDefault } from "./commands.ts";
import { ExitCode, type ExitCodeValue } from "./exit_codes.ts";
import { escapeForLine } from "./line_escape.ts";
import { readStdin, writeErrorLine, writeStdout } from "./output.ts";
import { positiveIntegerOption } from "./parse.ts";

/** The part of the public client the CLI uses. */
interface CliStore {
  put(key: string, value: string | Uint8Array): Promise<{ version: bigint | number }>;
  get(key: string): Promise<Uint8Array | null>;
  delete(key: string): Promise<boolean>;
  scan(options: { prefix?: string; limit?: number }): AsyncIterable<{ key: Uint8Array; value: Uint8Array }>;
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

export async function runClientCommand(input: ClientCommandInput, connect: ConnectStore): Promise<ExitCodeValue> {
  const server = (input.options.server as string | undefined) ?? defaultServerAddress;
  const timeoutText = input.options["timeout-ms"] as string | undefined;
  const timeoutMs = positiveIntegerOption(input.command, "timeout-ms", timeoutText, requestTimeoutMsMax) ?? requestTimeoutMsDefault;
  const limit = positiveIntegerOption(input.command, "limit", input.options.limit as string | undefined, scanLimitMax);
  const value = input.command === "put" && input.positionals[1] === "-" ? await readStdin() : input.positionals[1];
  const store = await connect(server, timeoutMs);
  try {
    switch (input.command) {
      case "put":
        return await put(store, input.positionals[0], value as string | Uint8Array);
      case "get":
        return await get(store, input.positionals[0], input.stdoutIsTerminal);
      case "del":
        return await del(store, input.positionals[0]);
      default:
        return await scan(store, input.options.prefix as string | undefined, limit, input.options["keys-only"] === true);
    }
  } finally {
    await store.close();
  }
}

async function put(store: CliStore, key: string, value: string | Uint8Array): Promise<ExitCodeValue> {
  const { version } = await store.put(key, value);
  await writeStdout(`${version}\n`);
  return ExitCode.ok;
}

async function get(store: CliStore, key: string, stdoutIsTerminal: boolean): Promise<ExitCodeValue> {
  const value = await store.get(key);
  if (value === null) {
    await writeErrorLine(`not found: ${escapeForLine(new TextEncoder().encode(key))}`);
    return ExitCode.notFound;
  }
  await writeStdout(value);
  if (stdoutIsTerminal) await writeStdout("\n");
  return ExitCode.ok;
}

async function del(store: CliStore, key: string): Promise<ExitCodeValue> {
  if (await store.delete(key)) return ExitCode.ok;
  await writeErrorLine(`not found: ${escapeForLine(new TextEncoder().encode(key))}`);
  return ExitCode.notFound;
}

async function scan(store: CliStore, prefix: string | undefined, limit: number | undefined, keysOnly: boolean): Promise<ExitCodeValue> {
  let chunk = "";
  for await (const entry of store.scan({ prefix, limit })) {
    chunk += keysOnly ? `${escapeForLine(entry.key)}\n` : `${escapeForLine(entry.key)}\t${escapeForLine(entry.value)}\n`;
    if (chunk.length >= scanOutputChunkBytes) {
      await writeStdout(chunk);
      chunk = "";
    }
  }
  if (chunk.length > 0) await writeStdout(chunk);
  return ExitCode.ok;
}
