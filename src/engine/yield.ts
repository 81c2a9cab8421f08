/** Lets queued I/O callbacks, reads and writes run before a long task goes on. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
