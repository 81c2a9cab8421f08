/**
 * A replicated state machine for tests that is not the key-value one: a counter. Each entry's
 * first byte is added to a total; an entry's outcome is the new total; a snapshot is the total.
 */
import type { Entry, Snapshot } from "../../../src/cluster/raft/types.ts";
import type { MachineSnapshot, ReplicatedMachine } from "../../../src/cluster/replica/replicated_machine.ts";

/** Adds each entry's one-byte amount to a total; the outcome of an entry is the new total. */
export class CounterMachine implements ReplicatedMachine<number> {
  appliedIndex: number;
  total = 0;
  readonly appliedIndexes: number[] = [];
  onFatal: (error: Error) => void = () => {};

  constructor(snapshot: Snapshot) {
    this.appliedIndex = snapshot.metadata.index;
    if (snapshot.data.length > 0) this.total = decodeTotal(snapshot.data);
  }

  apply(entry: Entry): Promise<number> | undefined {
    this.appliedIndex = entry.index;
    this.appliedIndexes.push(entry.index);
    if (entry.kind === "config" || entry.data.length === 0) return undefined;
    this.total += entry.data[0]!;
    return Promise.resolve(this.total);
  }

  async snapshot(): Promise<MachineSnapshot> {
    return { index: this.appliedIndex, data: Promise.resolve(encodeTotal(this.total)) };
  }

  async restore(data: Uint8Array, index: number): Promise<void> {
    this.total = decodeTotal(data);
    this.appliedIndex = index;
  }
}

const encodeTotal = (total: number) => new TextEncoder().encode(String(total));
export const decodeTotal = (data: Uint8Array) => Number(new TextDecoder().decode(data));
