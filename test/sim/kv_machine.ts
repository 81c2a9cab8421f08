/**
 * The simulator's state machine, run by the real replica driver (a ReplicatedMachine, as the
 * key-value machine is): string registers with put and compare-and-set, plus a session table
 * (last sequence number and result per client) so a retried command applies once (§6.3).
 * Commands and snapshots are JSON: readable in a failing seed's trace. Every applied entry is
 * shown to the safety monitor first.
 */
import type { Entry, Snapshot } from "../../src/cluster/raft/types.ts";
import type { MachineSnapshot, ReplicatedMachine } from "../../src/cluster/replica/replicated_machine.ts";
import type { KvInput, KvOutput } from "../lincheck/kv_model.ts";

export type WriteInput = Exclude<KvInput, { kind: "get" }>;

export interface Command {
  client: number;
  sequence: number;
  input: WriteInput;
}

interface Session {
  sequence: number;
  output: KvOutput;
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
  private sessions = new Map<number, Session>();

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
    return Promise.resolve(this.applyCommand(decodeCommand(entry.data)));
  }

  async snapshot(): Promise<MachineSnapshot> {
    const data = encoder.encode(JSON.stringify({ values: [...this.values], sessions: [...this.sessions] }));
    return { index: this.appliedIndex, data: Promise.resolve(data) };
  }

  async restore(data: Uint8Array, index: number): Promise<void> {
    this.load(data);
    this.appliedIndex = index;
    this.observer.restored(index);
  }

  private load(data: Uint8Array): void {
    this.values = new Map();
    this.sessions = new Map();
    if (data.length === 0) return;
    const parsed = JSON.parse(decoder.decode(data)) as { values: [string, string][]; sessions: [number, Session][] };
    this.values = new Map(parsed.values);
    this.sessions = new Map(parsed.sessions);
  }

  get(key: string): string | null {
    return this.values.get(key) ?? null;
  }

  /** Applies a command once per (client, sequence); a duplicate gets the first result. */
  private applyCommand(command: Command): KvOutput {
    const session = this.sessions.get(command.client);
    if (session !== undefined && session.sequence >= command.sequence) return session.output;
    const output = this.execute(command.input);
    this.sessions.set(command.client, { sequence: command.sequence, output });
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
