/**
 * Turns argv (after `filestore`) into what to do: print help, print the version, or run a
 * command with checked options and positionals. Every mistake is a UsageError (exit code 2).
 */
import { parseArgs } from "node:util";
import { commandNamed, commands, type CommandSpec } from "./commands.ts";
import { commandHelp, generalHelp } from "./help.ts";
import { UsageError } from "./usage_error.ts";

type ParsedCommandLine =
  | { kind: "help"; text: string }
  | { kind: "version" }
  | { kind: "run"; command: string; positionals: string[]; options: Record<string, string | boolean | undefined> };

export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError("missing command (run `filestore --help`)");
  if (first === "--help" || first === "-h") return { kind: "help", text: generalHelp() };
  if (first === "--version" || first === "-V") return { kind: "version" };
  if (first === "help") return helpFor(rest);
  const command = commandNamed(first);
  if (command === undefined || command.name === "help") {
    throw new UsageError(`unknown command "${first}" (commands: ${commandNames()}; run \`filestore --help\`)`);
  }
  return parseCommand(command, rest);
}

function helpFor(rest: string[]): ParsedCommandLine {
  if (rest.length === 0) return { kind: "help", text: generalHelp() };
  const command = commandNamed(rest[0]);
  if (command === undefined || rest.length > 1) {
    throw new UsageError(`help: no command "${rest.join(" ")}" (commands: ${commandNames()})`);
  }
  return { kind: "help", text: commandHelp(command) };
}

function parseCommand(command: CommandSpec, args: string[]): ParsedCommandLine {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options: command.options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(`${command.name}: ${firstLine((error as Error).message)} (see \`filestore help ${command.name}\`)`, command.name);
  }
  if (parsed.values.help === true) return { kind: "help", text: commandHelp(command) };
  const positionals = parsed.positionals;
  if (positionals.length !== command.positionals.length) {
    const expected = command.positionals.length === 0 ? "no arguments" : command.positionals.join(" ");
    const problem = positionals.length < command.positionals.length ? "missing argument" : "too many arguments";
    throw new UsageError(`${command.name}: ${problem}; expected ${expected} (see \`filestore help ${command.name}\`)`, command.name);
  }
  const options = parsed.values as Record<string, string | boolean | undefined>;
  return { kind: "run", command: command.name, positionals, options };
}

/** A whole number option in [1, max]; undefined when not given. */
export function positiveIntegerOption(command: string, name: string, text: string | undefined, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new UsageError(`${command}: --${name} must be a whole number from 1 to ${max}, got "${text}"`, command);
  }
  return value;
}

function commandNames(): string {
  return commands.map((command) => command.name).join(", ");
}

/** Node's parseArgs messages can span lines (hints); the CLI promises one line per error. */
function firstLine(message: string): string {
  return message.split("\n")[0].trim();
}
