/**
 * Helpers for the coordinator tests: node specs, bootstrap commands, and applying a command to a
 * CoordinatorMachine the way a replica does (encoded into the next committed entry).
 */
import { expect } from "bun:test";
import { encodeCommand } from "../../../src/cluster/meta/coordinator_codec.ts";
import type {
  CoordinatorCommand, CoordinatorOutcome, NodeSpec, RefusalCode,
} from "../../../src/cluster/meta/coordinator_command.ts";
import { CoordinatorMachine } from "../../../src/cluster/meta/coordinator_machine.ts";
import { coordinatorStateProblem } from "../../../src/cluster/meta/state_check.ts";
import { decodeSnapshot } from "../../../src/cluster/meta/coordinator_codec.ts";
import type { NodeId } from "../../../src/cluster/raft/types.ts";

/** Node `id`, named n<id>, with addresses that name it. */
export function spec(id: NodeId): NodeSpec {
  const host = `10.0.0.${id}`;
  const addresses = { clientAddress: `${host}:7000`, peerAddress: `${host}:7100`, adminAddress: `${host}:7200` };
  return { id, name: `n${id}`, addresses };
}

/** Bootstrap on nodes 1..nodeCount with `shardCount` shards and the default factors (3 and 3, fewer on fewer nodes). */
export function bootstrapCommand(
  nodeCount: number,
  shardCount: number,
  replicationFactor = Math.min(3, nodeCount),
): CoordinatorCommand {
  const nodes = Array.from({ length: nodeCount }, (_, index) => spec(index + 1));
  const metaVoters = nodeCount >= 5 ? 5 : nodeCount >= 3 ? 3 : 1;
  return { kind: "bootstrap", clusterId: "test-cluster", shardCount, replicationFactor, metaVoters, nodes };
}

/** Applies `command` as the machine's next committed entry; returns its outcome. */
export async function run(machine: CoordinatorMachine, command: CoordinatorCommand): Promise<CoordinatorOutcome> {
  const entry = { index: machine.appliedIndex + 1, term: 1, kind: "normal" as const, data: encodeCommand(command) };
  const outcome = machine.apply(entry);
  expect(outcome).toBeDefined();
  return (await outcome)!;
}

/** Applies `command` and expects it accepted; returns the outcome. */
export async function accept(machine: CoordinatorMachine, command: CoordinatorCommand): Promise<CoordinatorOutcome> {
  const outcome = await run(machine, command);
  if (!outcome.ok) throw new Error(`${command.kind} refused: ${outcome.code} ${outcome.message}`);
  return outcome;
}

/**
 * Applies `command`, expects it refused with `code`, and expects the state unchanged (same
 * snapshot bytes, but for the applied index).
 */
export async function refuse(
  machine: CoordinatorMachine,
  command: CoordinatorCommand,
  code: RefusalCode,
): Promise<void> {
  const before = stateBytes(machine);
  const outcome = await run(machine, command);
  expect(outcome.ok ? "accepted" : outcome.code).toBe(code);
  expect(stateBytes(machine)).toEqual(before);
}

/** The machine's state as canonical bytes, the applied index left out (so states of different indexes compare). */
export function stateBytes(machine: CoordinatorMachine): Uint8Array {
  const { state } = decodeSnapshot(machine.encodedState());
  expect(coordinatorStateProblem(state)).toBeNull();
  const copy = new CoordinatorMachine(0, state);
  return copy.encodedState();
}

/** A machine bootstrapped on `nodeCount` nodes with `shardCount` shards. */
export async function bootstrapped(nodeCount = 3, shardCount = 4): Promise<CoordinatorMachine> {
  const machine = new CoordinatorMachine();
  await accept(machine, bootstrapCommand(nodeCount, shardCount));
  return machine;
}
