/**
 * The table of `filestore` commands: their arguments, options and help text. Parsing
 * (parse.ts) and help (help.ts) are both driven by it, so the two cannot disagree.
 */
import { settings } from "../config/settings.ts";

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  /** Placeholder shown in help, e.g. HOST:PORT. */
  valueName?: string;
  description: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Positional argument names, all required, in order. */
  positionals: string[];
  options: Record<string, OptionSpec>;
  /** Extra paragraphs for `filestore help COMMAND`. */
  details?: string;
}

export const defaultServerAddress = "127.0.0.1:7400";
/** A CLI request waits this long for its answer before exiting with code 3. */
export const requestTimeoutMsDefault = 5000;

const helpOption: OptionSpec = { type: "boolean", short: "h", description: "show this help" };

const clientOptions: Record<string, OptionSpec> = {
  server: { type: "string", short: "s", valueName: "HOST:PORT", description: `server to talk to (default ${defaultServerAddress})` },
  "timeout-ms": {
    type: "string",
    valueName: "MS",
    description: `give up on the request after this long (default ${requestTimeoutMsDefault})`,
  },
  help: helpOption,
};

const adminOptions: Record<string, OptionSpec> = {
  admin: { type: "string", short: "a", valueName: "HOST:PORT", description: "admin endpoint of any member (default 127.0.0.1:7401)" },
  "timeout-ms": { type: "string", valueName: "MS", description: "give up after this long (default 30000)" },
  help: helpOption,
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
    const valueName = setting.type.kind === "enum" ? setting.type.choices.join("|") : setting.type.kind.toUpperCase();
    const shown = Array.isArray(setting.default) ? setting.default.join(",") : String(setting.default);
    const fallback = shown === "" ? "" : ` (default ${shown})`;
    options[setting.name] = { type: "string", valueName, description: `${setting.doc}${fallback}` };
  }
  options.help = helpOption;
  return options;
}

export const commands: readonly CommandSpec[] = [
  {
    name: "serve",
    summary: "run a node: client port, admin endpoint, storage in the data folder",
    positionals: [],
    options: serveOptions(),
    details:
      "Prints one line when ready (with the bound ports when port 0 was asked):\n" +
      "  filestore listening client=HOST:PORT admin=HOST:PORT data=DIR fsync=MODE\n" +
      "SIGINT or SIGTERM stops accepting, answers the requests in flight, writes a checkpoint,\n" +
      "syncs and closes the log, prints `filestore stopped signal=NAME` and exits 0.",
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
    options: clientOptions,
    details: "Writes the value's bytes unchanged (a newline is added only when stdout is a terminal).\nExits 1 when the key does not exist.",
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
      ...clientOptions,
    },
    details:
      "Prints one line per entry: KEY<TAB>VALUE. Backslash, tab, newline, carriage return and\n" +
      "non-printable bytes are escaped (\\\\, \\t, \\n, \\r, \\xHH) so each entry stays on one line.",
  },
  {
    name: "status",
    summary: "print the members of a replicated group: role, term, leader, commit and applied index, lag",
    positionals: [],
    options: adminOptions,
    details: "Asks the node at --admin for the members, then each member's admin endpoint for its own view.",
  },
  {
    name: "cluster",
    summary: "change a replicated group: add-node NAME=HOST:PORT | remove-node NAME | transfer-leader NAME",
    positionals: ["ACTION", "NODE"],
    options: adminOptions,
    details:
      "add-node n4=HOST:PORT  adds n4 (its peer address) as a learner and promotes it to voter once\n" +
      "                       caught up; start it first with `filestore serve --join ...`\n" +
      "remove-node n2         removes n2 from the group\n" +
      "transfer-leader n2     hands leadership to n2\n" +
      "Sent to the admin endpoint of any member; a follower forwards the command to its leader.",
  },
  {
    name: "help",
    summary: "show help for a command",
    positionals: [],
    options: {},
  },
];

export function commandNamed(name: string): CommandSpec | undefined {
  return commands.find((command) => command.name === name);
}
