/**
 * A latch for tests: work waits on it until the test opens it. It holds a request in flight for
 * exactly as long as a test needs (until it has checked what happens meanwhile), where a sleep
 * would hold it for a guessed time that a slow machine can outlast.
 */
export class Latch {
  private release: () => void = () => {};
  private readonly opened = new Promise<void>((resolve) => {
    this.release = resolve;
  });
  isOpen = false;

  /** Resolves once the latch is open (at once if it already is). */
  wait(): Promise<void> {
    return this.opened;
  }

  open(): void {
    this.isOpen = true;
    this.release();
  }
}
