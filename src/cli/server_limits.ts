/**
 * Translates the node configuration into the client-port server's limits. The server checks
 * that a frame can hold the largest put; when an operator lowers frame-size-bytes-max below
 * that, the largest accepted value shrinks with it instead of the node refusing to start.
 */
import type { FileStoreConfig } from "../config/settings.ts";
import { frameOverheadBytesMax, limitDefinitions, type ServerLimits } from "../net/limits.ts";

export function serverLimitsFor(config: FileStoreConfig): Partial<ServerLimits> {
  const keySizeBytesMax = limitDefinitions.keySizeBytesMax.defaultValue;
  const valueSizeBytesMax = Math.min(
    limitDefinitions.valueSizeBytesMax.defaultValue,
    config.frameSizeBytesMax - keySizeBytesMax - frameOverheadBytesMax,
  );
  return {
    frameSizeBytesMax: config.frameSizeBytesMax,
    valueSizeBytesMax,
    connectionsMax: config.connectionsMax,
    inflightRequestsPerConnectionMax: config.inflightPerConnectionMax,
    inflightRequestsPerServerMax: Math.max(
      limitDefinitions.inflightRequestsPerServerMax.defaultValue,
      config.inflightPerConnectionMax,
    ),
    // Deduplication must remember at least every write one connection can have in flight.
    dedupWritesPerSessionMax: Math.max(limitDefinitions.dedupWritesPerSessionMax.defaultValue, config.inflightPerConnectionMax),
    idleTimeoutMs: config.idleTimeoutMs,
  };
}
