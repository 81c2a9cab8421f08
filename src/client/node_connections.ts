/**
 * The routing client's connections: one per node (by client address), each a ClientCore with
 * its own pipelining window and reconnects, all writing in one session (the router's), so a
 * write keeps its identity whichever node an attempt reaches. A connection is opened on first use
 * (or ahead of it, see openAll), one opening at a time per address; one that cannot be opened is
 * not kept, and the next use tries again.
 */
import { parseAddress } from "./address.ts";
import { ClientCore } from "./client.ts";
import type { ResolvedClientOptions } from "./client_options.ts";
import { FileStoreError } from "./errors.ts";

interface Slot {
  core: ClientCore | null;
  opening: Promise<ClientCore | null> | null;
}

export class NodeConnections {
  private readonly slots = new Map<string, Slot>();
  private closed = false;

  constructor(private readonly options: ResolvedClientOptions, private readonly sessionId: Uint8Array) {}

  /** The connection to `address` when it is open now; null otherwise (none yet, opening, or reconnecting). */
  ready(address: string): ClientCore | null {
    const core = this.slots.get(address)?.core ?? null;
    return core !== null && core.connected ? core : null;
  }

  /**
   * The connection to `address`, opened when there is none; null when it cannot be opened within
   * `timeoutMs`, or when it exists but is down (its own reconnects are under way).
   */
  async open(address: string, timeoutMs: number): Promise<ClientCore | null> {
    if (this.closed) throw new FileStoreError("CLOSED", "the client is closed");
    let slot = this.slots.get(address);
    if (slot === undefined) {
      slot = { core: null, opening: null };
      this.slots.set(address, slot);
    }
    if (slot.core !== null) return slot.core.connected ? slot.core : null;
    slot.opening ??= this.start(address, slot, timeoutMs);
    return slot.opening;
  }

  /** Opens connections to every address in the background, so the first requests to each node find one. */
  openAll(addresses: readonly string[]): void {
    for (const address of addresses) void this.open(address, this.options.connectTimeoutMs).catch(() => {});
  }

  /** Keeps a connection opened elsewhere (the one discovery used). */
  adopt(address: string, core: ClientCore): void {
    this.slots.set(address, { core, opening: null });
  }

  /** Every open connection, for fetching the map from any node. */
  openConnections(): ClientCore[] {
    const cores: ClientCore[] = [];
    for (const slot of this.slots.values()) if (slot.core !== null && slot.core.connected) cores.push(slot.core);
    return cores;
  }

  async close(): Promise<void> {
    this.closed = true;
    const cores = [...this.slots.values()].map((slot) => slot.core).filter((core) => core !== null);
    this.slots.clear();
    await Promise.all(cores.map((core) => core.close()));
  }

  private async start(address: string, slot: Slot, timeoutMs: number): Promise<ClientCore | null> {
    let core: ClientCore;
    try {
      const connectTimeoutMs = Math.max(1, Math.min(this.options.connectTimeoutMs, Math.ceil(timeoutMs)));
      core = new ClientCore([parseAddress(address)], { ...this.options, connectTimeoutMs }, this.sessionId);
      await core.start();
    } catch {
      slot.opening = null;
      return null;
    }
    slot.opening = null;
    if (this.closed) {
      await core.close();
      return null;
    }
    slot.core = core;
    return core;
  }
}
