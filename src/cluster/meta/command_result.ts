/**
 * What applying one command gives back to the machine (coordinator_machine.ts): the proposer's
 * outcome and, when the state changed, which parts changed. A refusal changes nothing: every
 * command handler checks everything before its first change to the state.
 */
import type { ShardId } from "../placement/shard_map.ts";
import type { NodeId } from "../raft/types.ts";
import type { CoordinatorOutcome, RefusalCode } from "./coordinator_command.ts";
import type { ReplicaId } from "./coordinator_state.ts";

/** The changed parts of the state; the machine adds the index and the map version. */
export interface ChangedParts {
  readonly shards: readonly ShardId[];
  readonly nodes: readonly NodeId[];
  readonly settingsChanged: boolean;
}

export interface Applied {
  readonly outcome: CoordinatorOutcome;
  /** null when nothing changed (a refusal, or a command asking for what already held). */
  readonly changed: ChangedParts | null;
}

export function refused(code: RefusalCode, message: string): Applied {
  return { outcome: { ok: false, code, message }, changed: null };
}

/** Accepted, and nothing to change. */
export const unchanged: Applied = { outcome: { ok: true, changed: false }, changed: null };

export function nodeChanged(node: NodeId): Applied {
  return { outcome: { ok: true, changed: true }, changed: { shards: [], nodes: [node], settingsChanged: false } };
}

const accepted = { ok: true, changed: true } as const;

export function shardChanged(shard: ShardId, replica?: ReplicaId): Applied {
  const outcome = replica === undefined ? accepted : { ...accepted, replica };
  return { outcome, changed: { shards: [shard], nodes: [], settingsChanged: false } };
}
