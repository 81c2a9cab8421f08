/**
 * The table of `filestore` commands: their arguments, options and help text. Parsing
 * (parse.ts) and help (help.ts) are both driven by it, so the two cannot disagree.
 */
import { settings, type Setting } from "../config/settings.ts";

interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  /** Placeholder shown in help, e.g. HOST:PORT. */
  valueName?: string;
  description: string;
  /** The value must be HOST:PORT (checked before anything is sent; a usage error otherwise). */
  format?: "hostPort";
  /** The value must be one of these. */
  choices?: readonly string[];
  /** A string option that may also be given alone, meaning "true" (`--join` or `--join HOST:PORT`). */
  optionalValue?: boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Positional argument names, in order; all required unless positionalsMin says fewer. */
  positionals: string[];
  /** Fewest positionals accepted (default: all of them); the rest are optional, shown as [NAME]. */
  positionalsMin?: number;
  options: Record<string, OptionSpec>;
  /** Extra paragraphs for `filestore help COMMAND`. */
  details?: string;
  /** With this boolean option given, these positionals instead (e.g. cas --absent takes no EXPECTED). */
  positionalsWith?: { option: string; positionals: string[] };
}

export const defaultServerAddress = "127.0.0.1:7400";
/** A CLI request waits this long for its answer before exiting with code 3. */
export const requestTimeoutMsDefault = 5000;

const helpOption: OptionSpec = { type: "boolean", short: "h", description: "show this help" };

const clientOptions: Record<string, OptionSpec> = {
  server: {
    type: "string",
    short: "s",
    valueName: "HOST:PORT",
    format: "hostPort",
    description: `server to talk to (default ${defaultServerAddress})`,
  },
  "timeout-ms": {
    type: "string",
    valueName: "MS",
    description: `give up on the request after this long (default ${requestTimeoutMsDefault})`,
  },
  help: helpOption,
};

const adminOptions: Record<string, OptionSpec> = {
  admin: {
    type: "string",
    short: "a",
    valueName: "HOST:PORT",
    format: "hostPort",
    description: "admin endpoint of any member (default 127.0.0.1:7401)",
  },
  "timeout-ms": { type: "string", valueName: "MS", description: "give up after this long (default 30000)" },
  help: helpOption,
};

const readOptions: Record<string, OptionSpec> = {
  consistency: {
    type: "string",
    valueName: "strong|bounded|eventual",
    choices: ["strong", "bounded", "eventual"],
    description:
      "strong (default): linearizable, from the leader; bounded: a replica at most --max-staleness-ms behind; " +
      "eventual: any replica",
  },
  "max-staleness-ms": {
    type: "string",
    valueName: "MS",
    description: "with --consistency bounded (and only then): longest since the replica last heard from its leader",
  },
};

const jsonOption: OptionSpec = {
  type: "boolean",
  description: 'one JSON object per line: {"key":...,"value":...}; bytes not UTF-8 as "keyBase64"/"valueBase64"',
};

/** serve takes --config plus one flag per configuration setting. */
function serveOptions(): Record<string, OptionSpec> {
  const options: Record<string, OptionSpec> = {
    config: { type: "string", short: "c", valueName: "FILE", description: "TOML configuration file (flags override it)" },
  };
  for (const setting of settings) {
    if (setting.type.kind === "boolean") {
      options[setting.name] = { type: "boolean", description: setting.doc };
      continue;
    }
    if (setting.type.kind === "join") {
      const description = setting.doc;
      options[setting.name] = { type: "string", optionalValue: true, valueName: "[HOST:PORT]", description };
      continue;
    }
    const valueName = settingValueName(setting);
    const shown = Array.isArray(setting.default) ? setting.default.join(",") : String(setting.default);
    const bounds = settingBounds(setting);
    const fallback = shown === "" ? "" : `default ${shown}`;
    const note = [bounds, fallback].filter((part) => part !== "").join("; ");
    const description = note === "" ? setting.doc : `${setting.doc} (${note})`;
    options[setting.name] = { type: "string", valueName, description };
  }
  options.help = helpOption;
  return options;
}

/** "0-1000" for an integer setting with a meaningful upper bound; "" for the others. */
function settingBounds(setting: Setting): string {
  const type = setting.type;
  if (type.kind !== "integer" || type.max === Number.MAX_SAFE_INTEGER) return "";
  return `${type.min}-${type.max}`;
}

/** What help shows for a setting's value: the form to write (HOST:PORT, MS), not its type's name. */
function settingValueName(setting: Setting): string {
  const type = setting.type;
  if (type.kind === "enum") return type.choices.join("|");
  if (type.kind === "address" || type.kind === "optional-address") return "HOST:PORT";
  if (type.kind === "address-list") return "NAME=HOST:PORT,...";
  if (type.kind === "path") return "DIR";
  if (type.kind !== "integer") return setting.valueName ?? "TEXT";
  // Names end with their unit (idle-timeout-ms, frame-size-bytes-max), so the unit names the value.
  return setting.name.endsWith("-ms") ? "MS" : setting.name.includes("-bytes") ? "BYTES" : "N";
}

export const commands: readonly CommandSpec[] = [
  {
    name: "serve",
    summary: "run a node: client port, admin endpoint, storage in the data folder",
    positionals: [],
    options: serveOptions(),
    details:
      "Prints one line when ready (with the bound ports when port 0 was asked; a replica adds its name\n" +
      "and peer port):\n" +
      "  filestore listening client=HOST:PORT admin=HOST:PORT data=DIR fsync=MODE [node=NAME peer=HOST:PORT]\n" +
      "SIGINT or SIGTERM stops accepting, answers the requests in flight, writes a checkpoint,\n" +
      "syncs and closes the log, prints `filestore stopped signal=NAME` and exits 0.\n" +
      "A replica removed from its group (`filestore cluster remove-node`) logs it, stops the same\n" +
      "way, prints `filestore stopped reason=removed` and exits 8; started again on that data folder\n" +
      "it exits 8 at once.\n" +
      "One process per data folder: a node holds an exclusive lock on DATA/filestore.lock while it\n" +
      "runs (the kernel drops it when the process ends, kill -9 included); a second process on the\n" +
      "same folder exits 5 naming the folder and the holder's PID.\n" +
      "Joining a running sharded cluster: --join HOST:PORT (the peer port of any member) with\n" +
      "--node-id and --peer-listen, no --peers or --shards; the node is recorded as joining, catches\n" +
      "up from the coordinator, then is marked up, and holds replicas once `filestore cluster\n" +
      "move-replica` moves some to it. A join that cannot be done (no member at HOST:PORT, a name\n" +
      "or peer address already taken: NODE_CONFLICT) exits 5 in one line and changes nothing.",
  },
  {
    name: "check",
    summary: "verify every checksum in a data folder (log segments, checkpoint, Raft log) without starting a node",
    positionals: [],
    options: {
      data: { type: "string", short: "d", valueName: "DIR", description: "data folder to check (default ./data)" },
      json: { type: "boolean", description: "print the report as one JSON object" },
      help: helpOption,
    },
    details:
      "Prints one line per file checked and one per finding: file, byte offset, record index, what is\n" +
      "wrong (checksum mismatch, bad header, records start-up would lose, ...), then a result line.\n" +
      "Exits 0 when nothing is damaged and 7 when anything is. A torn tail (the last write cut by a\n" +
      "crash, never acknowledged; start-up cuts it) is reported as a note and is not damage.\n" +
      "Changes nothing (it only creates the lock file when missing) and takes the data folder's lock\n" +
      "as a node does: while a node runs on the folder it exits 5; stop the node first.",
  },
  {
    name: "put",
    summary: "store VALUE under KEY (VALUE - reads it from stdin)",
    positionals: ["KEY", "VALUE"],
    options: clientOptions,
    details: "Prints the write's version. With VALUE -, the value is every byte of stdin, kept as is.",
  },
  {
    name: "get",
    summary: "print the value of KEY, raw, to stdout",
    positionals: ["KEY"],
    options: { ...readOptions, json: jsonOption, ...clientOptions },
    details:
      "Writes the value's bytes unchanged (a newline is added only when stdout is a terminal);\n" +
      'with --json, one line {"key":...,"value":...} instead. Exits 1 when the key does not exist.',
  },
  {
    name: "del",
    summary: "delete KEY",
    positionals: ["KEY"],
    options: clientOptions,
    details: "Exits 1 (with a message on stderr) when the key did not exist.",
  },
  {
    name: "scan",
    summary: "list keys and values in key order",
    positionals: [],
    options: {
      prefix: { type: "string", short: "p", valueName: "P", description: "only keys starting with P" },
      limit: { type: "string", short: "n", valueName: "N", description: "at most N entries (default: all)" },
      "keys-only": { type: "boolean", short: "k", description: "print keys only" },
      ...readOptions,
      json: jsonOption,
      ...clientOptions,
    },
    details:
      "Prints one line per entry: KEY<TAB>VALUE. Backslash, tab, newline, carriage return and\n" +
      "non-printable bytes are escaped (\\\\, \\t, \\n, \\r, \\xHH) so each entry stays on one line.\n" +
      'With --json, one JSON object per line instead: {"key":...,"value":...,"version":N}.',
  },
  {
    name: "cas",
    summary: "compare and set: store NEW under KEY only if KEY holds EXPECTED (or, with --absent, does not exist)",
    positionals: ["KEY", "EXPECTED", "NEW"],
    positionalsWith: { option: "absent", positionals: ["KEY", "NEW"] },
    options: {
      absent: { type: "boolean", description: "write only if KEY does not exist (instead of an EXPECTED value)" },
      ...clientOptions,
    },
    details:
      "Prints nothing and exits 0 when NEW was written. When KEY did not hold EXPECTED (or exists,\n" +
      "with --absent) nothing is written and it exits 1, the condition not met. NEW - reads it from stdin.",
  },
  {
    name: "batch",
    summary: "apply the writes of JSON lines on stdin, all or nothing, in one revision",
    positionals: [],
    options: clientOptions,
    details:
      "One operation per line (blank lines are skipped):\n" +
      '  {"op":"put","key":"a","value":"1"}\n' +
      '  {"op":"delete","key":"b"}\n' +
      '  {"op":"cas","key":"c","expected":"old","value":"new"}      "expected":null: c must not exist\n' +
      'Keys and values are UTF-8 strings; for other bytes write "keyBase64", "valueBase64" or\n' +
      '"expectedBase64" with the bytes in base64 instead. Prints the batch\'s version when it was\n' +
      "applied; exits 1 (the condition not met) with nothing applied when a cas in it did not hold.",
  },
  {
    name: "latency",
    summary: "probe the server with gets without end and print min/avg/P50/P99/max per interval",
    positionals: [],
    options: {
      "interval-ms": { type: "string", valueName: "MS", description: "one line per interval this long (default 1000)" },
      count: { type: "string", short: "n", valueName: "N", description: "stop after N intervals (default: Ctrl-C)" },
      "gap-ms": { type: "string", valueName: "MS", description: "wait between two probes (default 10; 0: none)" },
      key: {
        type: "string",
        short: "k",
        valueName: "KEY",
        description: "key the probes read (default filestore-latency-probe; it need not exist)",
      },
      ...readOptions,
      ...clientOptions,
    },
    details:
      "Sends one get at a time and prints, per interval, one line:\n" +
      "  probes=N min_ms=... avg_ms=... p50_ms=... p99_ms=... max_ms=...\n" +
      "Ctrl-C (SIGINT) stops it after the probe in flight; it then exits 0.",
  },
  {
    name: "status",
    summary: "say whether the group is healthy, then each member: role, term, leader, indexes, lag, health",
    positionals: [],
    options: { json: { type: "boolean", description: "print JSON instead of a table" }, ...adminOptions },
    details:
      "Asks the node at --admin for the members, then each member's admin endpoint for its own view.\n" +
      "The first line says whether the group is healthy, e.g.\n" +
      "  group unhealthy: db-c unreachable; 2 of 3 voters up, leader db-a\n" +
      "Exits 6 when a member is unreachable or not yet known, a member cannot serve (no quorum,\n" +
      "no leader known), or no leader serves. On a node that is not part of a group, prints its state.",
  },
  {
    name: "cluster",
    summary: "shards | nodes | locate KEY | members | add-node NAME=HOST:PORT | remove-node NAME | "
      + "transfer-leader NAME",
    positionals: ["ACTION", "[NODE|KEY]"],
    positionalsMin: 1,
    options: {
      json: { type: "boolean", description: "print JSON (the same as -w json)" },
      hex: { type: "boolean", description: "locate: KEY is written in hex (for a key that is not UTF-8)" },
      "write-out": {
        type: "string", short: "w", valueName: "table|json", description: "output format (default table)",
      },
      from: { type: "string", valueName: "NODE", description: "move-replica: the node the replica leaves" },
      to: { type: "string", valueName: "NODE", description: "move-replica: the node the replica goes to" },
      ...adminOptions,
    },
    details:
      "shards                   each shard: id, hash range, epoch, leader, replicas (voters, learners),\n" +
      "                         applied index, keys, bytes, a move in progress; exits 6 when a shard has\n" +
      "                         no leader known\n" +
      "nodes                    each node: name, state, client/peer/admin addresses, replicas held,\n" +
      "                         leaders held; exits 6 when a node did not answer (state unreachable)\n" +
      "locate KEY               the key's partition key, hash, shard, replicas and leader (--hex: KEY in hex)\n" +
      "members                  each member (as etcdctl member list): id, voter or learner, role,\n" +
      "                         term, applied index, client/peer/admin addresses, data size, version;\n" +
      "                         exits 6 when the group is not healthy (as status)\n" +
      "add-node db-d=HOST:PORT  adds db-d (its peer address) as a learner and promotes it to voter once\n" +
      "                         caught up; start it first with `filestore serve --join ...`\n" +
      "remove-node db-b         removes db-b from the group; db-b then stops with exit code 8\n" +
      "transfer-leader db-b     hands leadership to db-b\n" +
      "move-replica SHARD --from n1 --to n4\n" +
      "                         (sharded cluster) moves shard SHARD's replica from n1 to n4 while\n" +
      "                         writes go on: a learner on n4, caught up, promoted, then n1's removed\n" +
      "                         (n1 hands leadership over first when it leads); waits until done\n" +
      "NAME is the node's --node-id: letters, digits and -, starting with a letter (or n1, n2, ...).\n" +
      "Sent to the admin endpoint of any member; a follower forwards a change to its leader. After a\n" +
      "change, the group is printed as status prints it.\n" +
      "shards, nodes and locate are for a sharded cluster: any node's admin endpoint answers them for\n" +
      "the whole cluster; --json prints the JSON documented in the README.",
  },
  {
    name: "help",
    summary: "show help for a command",
    positionals: ["[COMMAND]"],
    positionalsMin: 0,
    options: {},
  },
];

export function commandNamed(name: string): CommandSpec | undefined {
  return commands.find((command) => command.name === name);
}
