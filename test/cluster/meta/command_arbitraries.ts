/**
 * fast-check generators of coordinator commands over small id spaces (nodes 1..7, shards 1..6),
 * so random sequences often hit what exists: moves that run to their end, nodes that join, are
 * marked and removed, names and peer addresses that clash. Bootstrap comes first most of the time.
 */
import fc from "fast-check";
import type { CoordinatorCommand, NodeSpec } from "../../../src/cluster/meta/coordinator_command.ts";

const nodeId = fc.integer({ min: 1, max: 7 });
const shardId = fc.integer({ min: 1, max: 6 });

/** A node spec whose name and peer address are usually its own, sometimes another's. */
export const nodeSpec: fc.Arbitrary<NodeSpec> = fc
  .record({
    id: nodeId,
    nameOf: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: nodeId }),
    peerOf: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: nodeId }),
    port: fc.integer({ min: 7000, max: 7002 }),
  })
  .map(({ id, nameOf, peerOf, port }) => ({
    id,
    name: `n${nameOf === 0 ? id : nameOf}`,
    addresses: {
      clientAddress: `h${id}:${port}`,
      peerAddress: `p${peerOf === 0 ? id : peerOf}:7100`,
      adminAddress: `h${id}:7200`,
    },
  }));

const bootstrap: fc.Arbitrary<CoordinatorCommand> = fc
  .record({
    nodeCount: fc.integer({ min: 1, max: 5 }),
    shardCount: fc.integer({ min: 1, max: 6 }),
    factor: fc.integer({ min: 1, max: 4 }),
    metaVoters: fc.integer({ min: 1, max: 5 }),
  })
  .map(({ nodeCount, shardCount, factor, metaVoters }) => ({
    kind: "bootstrap",
    clusterId: "property",
    shardCount,
    replicationFactor: Math.min(factor, nodeCount),
    metaVoters: Math.min(metaVoters, nodeCount),
    nodes: Array.from({ length: nodeCount }, (_, index) => {
      const id = index + 1;
      const addresses = { clientAddress: `h${id}:7000`, peerAddress: `p${id}:7100`, adminAddress: "" };
      return { id, name: `n${id}`, addresses };
    }),
  }));

const state = fc.constantFrom("joining", "up", "up", "draining") as fc.Arbitrary<"joining" | "up" | "draining">;

/** Any one command, most of them well formed against a bootstrapped state of a few nodes and shards. */
export const command: fc.Arbitrary<CoordinatorCommand> = fc.oneof(
  { weight: 1, arbitrary: bootstrap },
  { weight: 3, arbitrary: nodeSpec.map((node): CoordinatorCommand => ({ kind: "addNode", node })) },
  { weight: 2, arbitrary: nodeSpec.map((node): CoordinatorCommand => ({ kind: "joinNode", node })) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("markNode" as const), node: nodeId, state }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("removeNode" as const), node: nodeId }) },
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant("addLearner" as const), shard: shardId, from: nodeId, to: nodeId }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("promote" as const), shard: shardId, node: nodeId }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("removeReplica" as const), shard: shardId, node: nodeId }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("setSetting" as const),
      name: fc.constantFrom("replicationFactor", "metaVoters", "clusterId", "other"),
      value: fc.integer({ min: -1, max: 8 }),
    }),
  },
);

/**
 * The steps of one move of a replica of a shard, in order: all three, the first one or two (the
 * move left running), or a learner added and removed again (a cancel).
 */
const moveSteps: fc.Arbitrary<CoordinatorCommand[]> = fc
  .record({ shard: shardId, from: nodeId, to: nodeId, ending: fc.constantFrom(1, 2, 3, 3, 3, 0) })
  .map(({ shard, from, to, ending }) => {
    const learner: CoordinatorCommand = { kind: "addLearner", shard, from, to };
    if (ending === 0) return [learner, { kind: "removeReplica", shard, node: to }];
    const promotion: CoordinatorCommand = { kind: "promote", shard, node: to };
    return [learner, promotion, { kind: "removeReplica", shard, node: from } as const].slice(0, ending);
  });

/**
 * A sequence that starts with a bootstrap most of the time (else everything is NOT_BOOTSTRAPPED),
 * then single commands and the steps of moves, so moves run to their end often enough.
 */
const chunk = fc.oneof({ weight: 3, arbitrary: command.map((each) => [each]) }, { weight: 1, arbitrary: moveSteps });

export const commandSequence: fc.Arbitrary<CoordinatorCommand[]> = fc
  .tuple(
    fc.integer({ min: 0, max: 4 }),
    bootstrap,
    fc.array(chunk, { maxLength: 40 }),
  )
  .map(([lead, first, chunks]) => {
    const rest = chunks.flat();
    return lead > 0 || rest.length === 0 ? [first, ...rest] : rest;
  });
