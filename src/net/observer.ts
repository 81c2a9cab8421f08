/**
 * What the client-port server reports as it works. The admin endpoint implements it to
 * publish Prometheus metrics; tests and benchmarks may pass a no-op. Kept as an interface
 * so src/net/ knows nothing of the metrics library.
 */
export interface ServerObserver {
  /**
   * A request answered: its operation (e.g. "get"), wire status (e.g. "OK") and latency; or
   * `count` such requests with the same latency (found gets answered within one read).
   */
  requestCompleted(operation: string, status: string, latencySeconds: number, count?: number): void;
  /** Requests accepted and not yet answered changed by `delta`. */
  inflightChanged(delta: number): void;
  /** Open client connections changed by `delta`. */
  connectionsChanged(delta: number): void;
  bytesReceived(count: number): void;
  bytesSent(count: number): void;
}

export const noopObserver: ServerObserver = {
  requestCompleted() {},
  inflightChanged() {},
  connectionsChanged() {},
  bytesReceived() {},
  bytesSent() {},
};
