/**
 * Counts operations in flight, so a close or a snapshot install can wait until none is. A
 * counter rather than a set of promises: each write would otherwise pay for two extra promises
 * and their callbacks only to be tracked.
 */
export class InFlightCount {
  private count = 0;
  private idleWaiter: PromiseWithResolvers<void> | null = null;

  get size(): number {
    return this.count;
  }

  begin(): void {
    this.count++;
  }

  end(): void {
    this.count--;
    if (this.count > 0 || this.idleWaiter === null) return;
    this.idleWaiter.resolve();
    this.idleWaiter = null;
  }

  /** Resolves once nothing is in flight (at once when nothing is). */
  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    this.idleWaiter ??= Promise.withResolvers<void>();
    return this.idleWaiter.promise;
  }
}
