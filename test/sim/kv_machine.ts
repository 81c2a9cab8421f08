/**
 * The simulator's state machine: string registers with put and compare-and-set, plus a
 * session table (last sequence number and result per client) so a retried command applies
 * once (§6.3). Commands and snapshots are JSON: readable in a failing seed's trace.
 */
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

export class KvMachine {
  private values = new Map<string, string>();
  private sessions = new Map<number, Session>();

  static fromSnapshot(data: Uint8Array): KvMachine {
    const machine = new KvMachine();
    if (data.length === 0) return machine;
    const parsed = JSON.parse(decoder.decode(data)) as { values: [string, string][]; sessions: [number, Session][] };
    machine.values = new Map(parsed.values);
    machine.sessions = new Map(parsed.sessions);
    return machine;
  }

  snapshot(): Uint8Array {
    return encoder.encode(JSON.stringify({ values: [...this.values], sessions: [...this.sessions] }));
  }

  get(key: string): string | null {
    return this.values.get(key) ?? null;
  }

  /** Applies a command once per (client, sequence); a duplicate gets the first result. */
  apply(command: Command): KvOutput {
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
