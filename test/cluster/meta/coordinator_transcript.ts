/**
 * The coordinator's commands as transcripts (test/cluster/meta/transcripts/*.txt), in the format
 * of the Raft transcripts (test/raft/transcript_runner.ts: a command, `----`, the expected output,
 * a blank line; `#` comments; REWRITE_TRANSCRIPTS=1 rewrites the expected output). Each command
 * is applied to one CoordinatorMachine as its next committed entry, through the codec.
 *
 * Commands (nodes written n<k>, node k):
 *   bootstrap <nodes,...> shards=<n> [rf=<n>] [meta=<n>]   a new cluster (rf defaults to min(3, nodes))
 *   add-node <node> [peer=<host:port>]                   peer defaults to <node>:7100
 *   mark-node <node> <joining|up|draining>
 *   remove-node <node>
 *   add-learner <shard> <from> <to> | promote <shard> <node> | remove-replica <shard> <node>
 *   set <setting> <value>
 * each prints its outcome: `ok`, `ok unchanged`, `ok replica=<id>`, or `refused <CODE>: <why>`;
 *   shards    the map version, then per shard: id, range, epoch, replicas (node:role#replica id), a move
 *   nodes     per node: name, state, peer address
 */
import { defaultMetaVoters, defaultReplicationFactor } from "../../../src/cluster/meta/cluster_settings.ts";
import type {
  CoordinatorCommand, CoordinatorOutcome, NodeSpec,
} from "../../../src/cluster/meta/coordinator_command.ts";
import { CoordinatorMachine } from "../../../src/cluster/meta/coordinator_machine.ts";
import { formatRange } from "../../../src/cluster/placement/hash_range.ts";
import { run } from "./coordinator_fixtures.ts";

export class CoordinatorTranscript {
  private readonly machine = new CoordinatorMachine();

  async run(line: string): Promise<string> {
    const [verb, ...words] = line.trim().split(/\s+/);
    if (verb === "shards") return this.shards();
    if (verb === "nodes") return this.nodes();
    return describeOutcome(await run(this.machine, parseCommand(verb!, words)));
  }

  private shards(): string {
    const map = this.machine.shardMap();
    if (map === null) return "not bootstrapped";
    const lines = [`map version ${map.version}`];
    for (const { id } of map.shards) {
      const shard = this.machine.shard(id)!;
      const replicas = shard.replicas.map((replica) => `n${replica.node}:${replica.role}#${replica.replica}`);
      const move = this.machine.move(id);
      const moving = move === undefined ? "" : ` moving n${move.from}->n${move.to}`;
      lines.push(`${id} [${formatRange(shard.range).join(", ")}) epoch=${shard.epoch} ${replicas.join(" ")}${moving}`);
    }
    return lines.join("\n");
  }

  private nodes(): string {
    const lines = this.machine.nodes().map((node) => `${node.name} ${node.state} peer=${node.addresses.peerAddress}`);
    return lines.join("\n");
  }
}

function parseCommand(verb: string, words: string[]): CoordinatorCommand {
  const [first, second, third] = words;
  switch (verb) {
    case "bootstrap":
      return bootstrap(words);
    case "add-node":
      return { kind: "addNode", node: nodeSpec(first!, option(words, "peer")) };
    case "join-node":
      return { kind: "joinNode", node: nodeSpec(first!, option(words, "peer")) };
    case "mark-node":
      return { kind: "markNode", node: node(first!), state: second as "up" };
    case "remove-node":
      return { kind: "removeNode", node: node(first!) };
    case "add-learner":
      return { kind: "addLearner", shard: Number(first), from: node(second!), to: node(third!) };
    case "promote":
      return { kind: "promote", shard: Number(first), node: node(second!) };
    case "remove-replica":
      return { kind: "removeReplica", shard: Number(first), node: node(second!) };
    case "set":
      return { kind: "setSetting", name: first!, value: Number(second) };
    default:
      throw new Error(`unknown transcript command ${verb}`);
  }
}

function bootstrap(words: string[]): CoordinatorCommand {
  const nodes = words[0]!.split(",").map((name) => nodeSpec(name));
  const replicationFactor = Number(option(words, "rf") ?? defaultReplicationFactor(nodes.length));
  const metaVoters = Number(option(words, "meta") ?? defaultMetaVoters(nodes.length));
  const shardCount = Number(option(words, "shards"));
  return { kind: "bootstrap", clusterId: "transcript", shardCount, replicationFactor, metaVoters, nodes };
}

function option(words: string[], name: string): string | undefined {
  return words.find((word) => word.startsWith(`${name}=`))?.slice(name.length + 1);
}

function node(name: string): number {
  const match = /^n(\d+)$/.exec(name);
  if (match === null) throw new Error(`transcript node ${name} is not n<k>`);
  return Number(match[1]);
}

function nodeSpec(name: string, peer = `${name}:7100`): NodeSpec {
  const addresses = { clientAddress: `${name}:7000`, peerAddress: peer, adminAddress: `${name}:7200` };
  return { id: node(name), name, addresses };
}

function describeOutcome(outcome: CoordinatorOutcome): string {
  if (!outcome.ok) return `refused ${outcome.code}: ${outcome.message}`;
  if (!outcome.changed) return "ok unchanged";
  return outcome.replica === undefined ? "ok" : `ok replica=${outcome.replica}`;
}
