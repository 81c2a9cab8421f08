/**
 * Resolves with the name of the first SIGINT or SIGTERM received. Later ones are ignored: the
 * stop has begun and runs to its end (a node under `npm start` gets a terminal's Ctrl-C twice,
 * from the terminal and forwarded by npm). SIGKILL still ends a stop that hangs.
 */
export function waitForShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    // The listeners stay: without one, a second signal would end the process at once. A second
    // resolve is a no-op.
    process.on("SIGINT", resolve);
    process.on("SIGTERM", resolve);
  });
}
