/**
 * An in-memory KeyValueService for protocol tests: the engine's semantics (one revision per
 * write, a batch shares one, cas with expected null = absent, bytewise key order) without disk.
 * holdWrites() makes writes wait on a latch the test opens, to hold requests in flight.
 */
import type { Command, CommandResult, Entry, ScanOptions, ScanPage } from "../../src/engine/types";
import type { KeyValueService, ReadContext } from "../../src/net/key_value_service";
import { copyCommand } from "../../src/net/messages";
import { Latch } from "../support/latch";

const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1");
const bytesOf = (key: string) => new Uint8Array(Buffer.from(key, "latin1"));

function compareBytes(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

export class MemoryService implements KeyValueService {
  readonly entries = new Map<string, { value: Uint8Array; version: number }>();
  revision = 0;
  applied = 0;
  applyStarted = 0;
  /** While set and closed, writes wait in apply() (after counting in applyStarted) until it opens. */
  private writeLatch: Latch | null = null;

  // Declared as the interface allows (maybe asynchronous) so tests can swap in slow reads.
  get(key: Uint8Array, _context?: ReadContext): Entry | null | Promise<Entry | null> {
    const entry = this.entries.get(latin1(key));
    return entry === undefined ? null : { key: key.slice(), value: entry.value, version: entry.version };
  }

  scan(options: ScanOptions, _context?: ReadContext): ScanPage | Promise<ScanPage> {
    const prefix = options.prefix === undefined ? null : latin1(options.prefix);
    const start = options.start === undefined ? null : latin1(options.start);
    const end = options.end === undefined ? null : latin1(options.end);
    const cursor = options.cursor === undefined ? null : latin1(options.cursor);
    const keys = [...this.entries.keys()].sort(compareBytes).filter((key) =>
      (prefix === null || key.startsWith(prefix)) && (start === null || key >= start) && (end === null || key < end)
      && (cursor === null || key > cursor));
    const page = keys.slice(0, options.limit);
    const entries = page.map((key) => ({ key: bytesOf(key), ...this.entries.get(key)! }));
    const nextCursor = keys.length > options.limit ? bytesOf(page[page.length - 1]!) : null;
    return { entries, nextCursor };
  }

  async apply(received: Command): Promise<CommandResult> {
    // The command's bytes are views into the server's receive buffer: copy before awaiting.
    const command = copyCommand(received);
    this.applyStarted++;
    if (this.writeLatch !== null) await this.writeLatch.wait();
    this.applied++;
    if (command.op !== "batch") {
      const matches = this.matches(command);
      if (!matches) return { op: "cas", succeeded: false, version: this.revision };
      return this.write(command, ++this.revision);
    }
    if (!command.commands.every((inner) => this.matches(inner))) {
      return { op: "batch", succeeded: false, version: this.revision, results: [] };
    }
    const revision = ++this.revision;
    const results = command.commands.map((inner) => this.write(inner, revision));
    return { op: "batch", succeeded: true, version: revision, results };
  }

  private matches(command: Command): boolean {
    if (command.op !== "cas") return true;
    const current = this.entries.get(latin1(command.key));
    if (command.expected === null) return current === undefined;
    return current !== undefined && Buffer.from(current.value).equals(Buffer.from(command.expected));
  }

  private write(command: Exclude<Command, { op: "batch" }>, revision: number): CommandResult {
    const key = latin1(command.key);
    if (command.op === "delete") {
      const existed = this.entries.delete(key);
      return { op: "delete", existed, version: revision };
    }
    this.entries.set(key, { value: command.value.slice(), version: revision });
    return command.op === "put" ? { op: "put", version: revision } : { op: "cas", succeeded: true, version: revision };
  }

  /** Holds every write from now on in flight until the returned latch is opened. */
  holdWrites(): Latch {
    this.writeLatch = new Latch();
    return this.writeLatch;
  }

  /** A copy of the stored state, to compare before and after a bad request. */
  snapshot(): Array<[string, string, number]> {
    return [...this.entries].map(([key, entry]) => [key, latin1(entry.value), entry.version]);
  }
}
