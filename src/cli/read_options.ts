/**
 * `--consistency` and `--max-staleness-ms` of the reading commands (get, scan, latency) as the
 * client's request options. The pair is checked here, before anything is sent: bounded needs a
 * staleness and a staleness means nothing without bounded, so either mistake is a usage error.
 */
import type { ConsistencyLevel } from "../client/types.ts";
import { positiveIntegerOption } from "./parse.ts";
import { UsageError } from "./usage_error.ts";

/** A staleness bound of more than a day is no bound worth asking for; it is a typo. */
const maxStalenessMsMax = 86_400_000;

export interface ReadOptions {
  consistency?: ConsistencyLevel;
  maxStalenessMs?: number;
}

export function readOptionsOf(command: string, options: Record<string, string | boolean | undefined>): ReadOptions {
  // The command table already limited --consistency to its three choices.
  const consistency = options.consistency as ConsistencyLevel | undefined;
  const stalenessText = options["max-staleness-ms"] as string | undefined;
  const maxStalenessMs = positiveIntegerOption(command, "max-staleness-ms", stalenessText, maxStalenessMsMax);
  if (consistency === "bounded" && maxStalenessMs === undefined) {
    const problem = "--consistency bounded needs --max-staleness-ms MS (how far behind a replica may be)";
    throw new UsageError(`${command}: ${problem}`, command);
  }
  if (consistency !== "bounded" && maxStalenessMs !== undefined) {
    throw new UsageError(`${command}: --max-staleness-ms goes with --consistency bounded only`, command);
  }
  const read: ReadOptions = {};
  if (consistency !== undefined) read.consistency = consistency;
  if (maxStalenessMs !== undefined) read.maxStalenessMs = maxStalenessMs;
  return read;
}
