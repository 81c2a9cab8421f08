/**
 * Raft scenarios as transcripts (test/raft/transcripts/*.txt): each block is one command,
 * a `----` line, and the output expected from it, ended by a blank line. `#` lines are
 * comments. Run with REWRITE_TRANSCRIPTS=1 to rewrite the expected output in place.
 *
 * Commands:
 *   cluster <ids...> [field=value...]   a new cluster; fields override RaftConfig
 *   elect <id>                          tick <id> until it campaigns, deliver everything
 *   propose <id> <text>                 propose text; prints the placement or the error
 *   read <id> <context>                 ReadIndex; prints ok or the error
 *   transfer <from> <to>                leadership transfer
 *   conf <id> <kind> <node>             membership change (addLearner adds an empty node)
 *   isolate <ids...> | heal             drop every message to or from the ids / drop none
 *   tick <id> <count>                   tick one node
 *   restart <id>                        crash and restart from storage
 *   deliver                             deliver until quiet; prints every delivered message
 *   status                              one line per node
 *   reads <id>                          the read states handed out so far
 *   quiesce <id> [dead=<ids,...>]       the leader goes quiet if it may (those nodes not alive); deliver
 *   wake <id> <ticks>                   wake a quiet node (ticks since it heard its leader); deliver
 */
import { makeRaftConfig, type RaftConfig } from "../../src/cluster/raft/config.ts";
import { RaftError } from "../../src/cluster/raft/errors.ts";
import { seededRandom } from "../../src/cluster/raft/random.ts";
import { RawNode } from "../../src/cluster/raft/raw_node.ts";
import { MemoryStorage } from "../../src/cluster/raft/storage.ts";
import type { ConfChange, Entry, Message } from "../../src/cluster/raft/types.ts";
import { Harness, bytes } from "./harness.ts";

const decoder = new TextDecoder();

export interface TranscriptBlock {
  comments: string[];
  command: string;
  expected: string;
}

export function parseTranscript(text: string): TranscriptBlock[] {
  const blocks: TranscriptBlock[] = [];
  const lines = text.split("\n");
  let comments: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith("#") || line.trim() === "") {
      if (line.startsWith("#")) comments.push(line);
      continue;
    }
    if (lines[i + 1] !== "----") throw new Error(`transcript line ${i + 1}: expected ---- after "${line}"`);
    const expected: string[] = [];
    for (i += 2; i < lines.length && lines[i] !== ""; i++) expected.push(lines[i]);
    blocks.push({ comments, command: line, expected: expected.join("\n") });
    comments = [];
  }
  return blocks;
}

export function formatTranscript(blocks: TranscriptBlock[], outputs: string[]): string {
  const parts = blocks.map((block, index) => [...block.comments, block.command, "----", outputs[index]].join("\n"));
  return `${parts.join("\n\n")}\n`;
}

function describeEntry(entry: Entry): string {
  if (entry.kind === "config") return `${entry.index}/${entry.term} config`;
  return `${entry.index}/${entry.term} ${entry.data.length === 0 ? "noop" : decoder.decode(entry.data)}`;
}

export function describeMessage(message: Message): string {
  const head = `${message.from}->${message.to} ${message.type} term=${message.term}`;
  switch (message.type) {
    case "append":
      return `${head} prev=${message.prevIndex}/${message.prevTerm} entries=[${message.entries.map(describeEntry).join(", ")}] commit=${message.commit}`;
    case "appendResponse":
      return `${head} ${message.reject ? `reject index=${message.index} hint=${message.hintIndex}/${message.hintTerm}` : `index=${message.index}`}`;
    case "vote":
    case "preVote":
      return `${head} last=${message.lastIndex}/${message.lastTerm}${message.leadershipTransfer ? " transfer" : ""}`;
    case "voteResponse":
    case "preVoteResponse":
      return `${head} ${message.reject ? "reject" : "grant"}`;
    case "heartbeat": {
      const context = message.context === null ? "" : ` context=${decoder.decode(message.context)}`;
      return `${head} commit=${message.commit}${context}${message.quiesce === true ? " quiesce" : ""}`;
    }
    case "heartbeatResponse":
      return `${head}${message.context === null ? "" : ` context=${decoder.decode(message.context)}`}`;
    case "snapshot":
      return `${head} index=${message.metadata.index} offset=${message.offset} bytes=${message.chunk.length}${message.done ? " done" : ""}`;
    case "snapshotResponse":
      return `${head} index=${message.snapshotIndex} received=${message.receivedBytes}`;
    case "timeoutNow":
      return head;
  }
}

export class TranscriptSession {
  private cluster: Harness | undefined;
  private overrides: Partial<Omit<RaftConfig, "id">> = {};

  private harness(): Harness {
    if (this.cluster === undefined) throw new Error("no cluster yet: start with `cluster <ids...>`");
    return this.cluster;
  }

  run(command: string): string {
    const [verb, ...args] = command.trim().split(/\s+/);
    const numbers = args.map(Number);
    try {
      return this.dispatch(verb, args, numbers);
    } catch (error) {
      if (error instanceof RaftError) return `error ${error.name}: ${error.message}`;
      throw error;
    }
  }

  private dispatch(verb: string, args: string[], numbers: number[]): string {
    switch (verb) {
      case "cluster":
        return this.startCluster(args);
      case "elect":
        return this.deliverThen(() => this.harness().elect(numbers[0]));
      case "propose": {
        const placed = this.harness().node(numbers[0]).propose(bytes(args.slice(1).join(" ")));
        return `index=${placed.lastIndex} term=${placed.term}`;
      }
      case "read":
        this.harness().node(numbers[0]).readIndex(bytes(args[1]));
        return "ok";
      case "transfer":
        this.harness().node(numbers[0]).transferLeadership(numbers[1]);
        return "ok";
      case "conf":
        return this.confChange(numbers[0], args[1] as ConfChange["kind"], numbers[2]);
      case "isolate":
        this.harness().drop = (message) => numbers.includes(message.from) || numbers.includes(message.to);
        return "ok";
      case "heal":
        this.harness().drop = () => false;
        return "ok";
      case "tick":
        for (let i = 0; i < numbers[1]; i++) this.harness().tick(numbers[0]);
        return "ok";
      case "restart":
        this.harness().restart(numbers[0]);
        return "ok";
      case "deliver":
        return this.deliverThen(() => {});
      case "status":
        return this.status();
      case "quiesce":
        return this.quiesce(numbers[0], args[1]);
      case "wake":
        return this.deliverThen(() => this.harness().node(numbers[0]).wake(numbers[1]));
      case "reads":
        return (this.harness().readStates.get(numbers[0]) ?? []).map((state) => `index=${state.index} context=${decoder.decode(state.context)}`).join("\n") || "none";
      default:
        throw new Error(`unknown transcript command: ${verb}`);
    }
  }

  private startCluster(args: string[]): string {
    const ids = args.filter((arg) => !arg.includes("=")).map(Number);
    this.overrides = {};
    for (const setting of args.filter((arg) => arg.includes("="))) {
      const [field, value] = setting.split("=");
      (this.overrides as Record<string, unknown>)[field] = value === "true" ? true : value === "false" ? false : Number(value);
    }
    this.cluster = new Harness(ids, this.overrides);
    return "ok";
  }

  private confChange(leader: number, kind: ConfChange["kind"], node: number): string {
    const cluster = this.harness();
    const placed = cluster.node(leader).proposeConfChange({ kind, node });
    if (kind === "addLearner" && !cluster.nodes.has(node)) {
      const storage = new MemoryStorage();
      cluster.storages.set(node, storage);
      cluster.nodes.set(node, new RawNode(makeRaftConfig(node, this.overrides), storage, seededRandom(node)));
      cluster.applied.set(node, []);
      cluster.readStates.set(node, []);
    }
    return `index=${placed.lastIndex} term=${placed.term}`;
  }

  private quiesce(leader: number, deadArgument: string | undefined): string {
    const dead = deadArgument === undefined ? [] : deadArgument.replace("dead=", "").split(",").map(Number);
    let quiet = false;
    const delivered = this.deliverThen(() => {
      quiet = this.harness().node(leader).quiesce((member) => !dead.includes(member));
    });
    return `${quiet ? "quiet" : "not quiet"}\n${delivered}`;
  }

  private deliverThen(action: () => void): string {
    const cluster = this.harness();
    const sentBefore = cluster.sent.length;
    action();
    cluster.deliverAll();
    const messages = cluster.sent.slice(sentBefore).filter((message) => !cluster.drop(message));
    return messages.map(describeMessage).join("\n") || "nothing";
  }

  private status(): string {
    const cluster = this.harness();
    return [...cluster.nodes.entries()]
      .map(([id, node]) => {
        const status = node.status();
        const conf = `${status.confState.voters.join(",")}${status.confState.learners.length > 0 ? ` learners=${status.confState.learners.join(",")}` : ""}`;
        const applied = cluster.appliedData(id).join(",");
        const role = `${status.softState.role}${node.isQuiesced() ? " quiet" : ""}`;
        return `${id}: ${role} term=${status.term} leader=${status.softState.leader} commit=${status.commit} last=${status.lastIndex} voters=${conf} applied=[${applied}]`;
      })
      .join("\n");
  }
}
