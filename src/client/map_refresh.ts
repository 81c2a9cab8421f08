/**
 * Fetching the whole shard map again, without refresh storms (Redis Cluster clients that refetch
 * the map on every redirect flood the cluster when a slot moves, jedis#4556): one fetch at a time,
 * shared by every request waiting for it; none when the map changed since the request routed (it
 * routes again by the newer map instead); and fetches spaced at least refreshSpacingMs apart, a
 * request that needs one sooner waiting for the next. Most changes never come here: a WRONG_SHARD
 * reply carries the descriptors to patch the one entry (cluster_view.ts).
 */

/**
 * Least time between two whole-map fetches of one client. Spread over the time a shard move
 * takes to reach every node (a few Raft rounds, milliseconds), it bounds the load a client puts
 * on the cluster while the map settles to 20 fetches a second.
 */
export const refreshSpacingMs = 50;

export class MapRefresh {
  private inFlight: Promise<void> | null = null;
  private lastStartedAtMs = -Infinity;

  /**
   * `fetch` fetches the map and applies it (or gives up quietly: the waiting requests retry
   * within their deadlines); `generation` tells how often the map changed so far.
   */
  constructor(
    private readonly fetch: () => Promise<void>,
    private readonly generation: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Marks a fetch made elsewhere (the one at connect), which spaces the next like any other. */
  noteFetched(): void {
    this.lastStartedAtMs = this.now();
  }

  /**
   * Resolves once the map is newer than at `generationSeen` (when the caller routed): at once
   * when it is already, else after the fetch in flight, or a new one (spaced from the last).
   */
  refresh(generationSeen: number): Promise<void> {
    if (this.generation() !== generationSeen) return Promise.resolve();
    this.inFlight ??= this.run().finally(() => { this.inFlight = null; });
    return this.inFlight;
  }

  private async run(): Promise<void> {
    const waitMs = this.lastStartedAtMs + refreshSpacingMs - this.now();
    if (waitMs > 0) await this.sleep(waitMs);
    this.lastStartedAtMs = this.now();
    await this.fetch();
  }
}
