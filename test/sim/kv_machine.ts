/**
 * The simulator's state machine, run by the real replica driver (a ReplicatedMachine, as the
 * key-value machine is): string registers with put and compare-and-set, deduplicated by the
 * key-value machine's own session table (src/cluster/session_table.ts, keyed by client and
 * sequence) so a retried command applies once (§6.3) and the table's snapshot encoding is
 * exercised too. Commands and snapshots are JSON: readable in a failing seed's trace. Every
 * applied entry is shown to the safety monitor first.
 */
import type { Entry, Snapshot } from "../../src/cluster/raft/types.ts";
import type { MachineSnapshot, ReplicatedMachine } from "../../src/cluster/replica/replicated_machine.ts";
import { SessionTable } from "../../src/cluster/session_table.ts";
import type { CommandResult } from "../../src/engine/types.ts";
import type { KvInput, KvOutput } from "../lincheck/kv_model.ts";

export type WriteInput = Exclude<KvInput, { kind: "get" }>;

export interface Command {
  client: number;
  sequence: number;
  input: WriteInput;
}

interface SnapshotJson {
  values: [string, string][];
  /** The session table's own encoding, base64. */
  sessions: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeCommand(command: Command): Uint8Array {
  return encoder.encode(JSON.stringify(command));
}

export function decodeCommand(data: Uint8Array): Command {
  return JSON.parse(decoder.decode(data)) as Command;
}

/** What the world learns from a machine: each entry before it is applied, and each snapshot restored. */
export interface MachineObserver {
  applying(entry: Entry): void;
  restored(index: number): void;
}

export class KvMachine implements ReplicatedMachine<KvOutput> {
  appliedIndex: number;
  onFatal: (error: Error) => void = () => {};
  private values = new Map<string, string>();
  private sessions = new SessionTable();

  /** The machine as of `snapshot` (a process starting from its storage). */
  constructor(
    snapshot: Snapshot,
    private readonly observer: MachineObserver,
  ) {
    this.appliedIndex = snapshot.metadata.index;
    this.load(snapshot.data);
  }

  apply(entry: Entry): Promise<KvOutput> | undefined {
    this.observer.applying(entry);
    this.appliedIndex = entry.index;
    if (entry.kind !== "normal" || entry.data.length === 0) return undefined;
    const output = this.applyCommand(decodeCommand(entry.data), entry.index);
    return output === undefined ? undefined : Promise.resolve(output);
  }

  async snapshot(): Promise<MachineSnapshot> {
    const sessions = Buffer.from(this.sessions.encode()).toString("base64");
    const snapshot: SnapshotJson = { values: [...this.values], sessions };
    const data = encoder.encode(JSON.stringify(snapshot));
    return { index: this.appliedIndex, data: Promise.resolve(data) };
  }

  async restore(data: Uint8Array, index: number): Promise<void> {
    this.load(data);
    this.appliedIndex = index;
    this.observer.restored(index);
  }

  private load(data: Uint8Array): void {
    this.values = new Map();
    this.sessions = new SessionTable();
    if (data.length === 0) return;
    const parsed = JSON.parse(decoder.decode(data)) as SnapshotJson;
    this.values = new Map(parsed.values);
    this.sessions = SessionTable.decode(Buffer.from(parsed.sessions, "base64"));
  }

  get(key: string): string | null {
    return this.values.get(key) ?? null;
  }

  /**
   * Applies a command once per (client, sequence); a duplicate gets the first result. A client
   * has one request at a time, so it waits for none older: the table forgets those. A late
   * copy of a forgotten one (a retry that committed after its answer) changes nothing and
   * answers no one (the key-value machine answers CONFLICT; nobody here waits for it).
   */
  private applyCommand(command: Command, index: number): KvOutput | undefined {
    const sessionId = clientSessionId(command.client);
    this.sessions.forgetBelow(sessionId, command.sequence);
    const prior = this.sessions.lookup(sessionId, command.sequence);
    if (prior.kind === "forgotten") return undefined;
    if (prior.kind === "applied") return outputOf(prior.outcome as CommandResult);
    const output = this.execute(command.input);
    this.sessions.remember(sessionId, command.sequence, resultOf(output, index));
    return output;
  }

  private execute(input: WriteInput): KvOutput {
    if (input.kind === "put") {
      this.values.set(input.key, input.value);
      return { kind: "put" };
    }
    const current = this.values.get(input.key) ?? null;
    if (current !== input.expected) return { kind: "cas", ok: false };
    this.values.set(input.key, input.value);
    return { kind: "cas", ok: true };
  }
}

function clientSessionId(client: number): Uint8Array {
  return encoder.encode(`client-${client}`);
}

/** An output as the session table remembers results (the entry's index stands for the version). */
function resultOf(output: KvOutput, index: number): CommandResult {
  if (output.kind === "cas") return { op: "cas", succeeded: output.ok, version: index };
  return { op: "put", version: index };
}

function outputOf(result: CommandResult): KvOutput {
  return result.op === "cas" ? { kind: "cas", ok: result.succeeded } : { kind: "put" };
}
