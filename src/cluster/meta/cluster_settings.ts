/**
 * Cluster-wide settings, part of the coordinator's state: a table of the settings an operator may
 * change (name, bounds, what it means) plus a validator, as src/config/settings.ts does for a
 * node's own. Two are fixed at bootstrap: the cluster id (stamped by the proposer, so the meta
 * group's apply stays free of randomness; peers of another cluster id are refused) and the shard
 * count the cluster started with.
 */
import { shardsMax, shardsMin } from "../placement/placement_limits.ts";
import {
  clusterIdCharactersMax, metaVotersMax, replicationFactorDefault, replicationFactorMax,
} from "./coordinator_limits.ts";

export interface ClusterSettings {
  readonly clusterId: string;
  readonly shardsAtBootstrap: number;
  /** Voters each shard is to have: new placements and the rebalancer aim at it. */
  readonly replicationFactor: number;
  /** Voters the coordinator's own group is to have. */
  readonly metaVoters: number;
}

/** The settings a command may change; the others are fixed at bootstrap. */
type SettableSetting = "replicationFactor" | "metaVoters";

interface SettingRule {
  readonly name: SettableSetting;
  readonly min: number;
  readonly max: number;
  readonly doc: string;
}

const settingRules: readonly SettingRule[] = [
  {
    name: "replicationFactor",
    min: 1,
    max: replicationFactorMax,
    doc: "voters each shard is to have (shards placed from now on; the rebalancer moves toward it)",
  },
  { name: "metaVoters", min: 1, max: metaVotersMax, doc: "voters the coordinator's group is to have" },
];

/** Whether `name` is a setting a command may change. */
export function isSettableSetting(name: string): name is SettableSetting {
  return settingRules.some((rule) => rule.name === name);
}

/** Whether `name` is a setting fixed at bootstrap. */
export function isFixedSetting(name: string): boolean {
  return name === "clusterId" || name === "shardsAtBootstrap";
}

/** Why `value` cannot be the value of `name` (its bounds in the table), or null. */
export function settingValueProblem(name: SettableSetting, value: number): string | null {
  const rule = settingRules.find((candidate) => candidate.name === name)!;
  if (Number.isInteger(value) && value >= rule.min && value <= rule.max) return null;
  return `${name} (${rule.doc}) must be an integer from ${rule.min} to ${rule.max}, not ${value}`;
}

/** The first way `settings` break their rules, or null. */
export function settingsProblem(settings: ClusterSettings): string | null {
  const { clusterId, shardsAtBootstrap } = settings;
  if (typeof clusterId !== "string" || clusterId.length === 0 || clusterId.length > clusterIdCharactersMax) {
    return `the cluster id must be 1 to ${clusterIdCharactersMax} characters`;
  }
  if (!Number.isInteger(shardsAtBootstrap) || shardsAtBootstrap < shardsMin || shardsAtBootstrap > shardsMax) {
    return `the shard count must be an integer from ${shardsMin} to ${shardsMax}, not ${shardsAtBootstrap}`;
  }
  for (const rule of settingRules) {
    const problem = settingValueProblem(rule.name, settings[rule.name]);
    if (problem !== null) return problem;
  }
  return null;
}

/** The replication factor of a cluster started on `nodeCount` nodes when none is asked for. */
export function defaultReplicationFactor(nodeCount: number): number {
  return Math.max(1, Math.min(replicationFactorDefault, nodeCount));
}

/**
 * The coordinator's voters of a cluster started on `nodeCount` nodes: as many as allowed, but an
 * odd number (a fourth voter of four survives no more failures than three, and slows commits).
 */
export function defaultMetaVoters(nodeCount: number): number {
  const voters = Math.max(1, Math.min(metaVotersMax, nodeCount));
  return voters % 2 === 1 ? voters : voters - 1;
}
