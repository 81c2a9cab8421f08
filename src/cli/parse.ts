/**
 * Turns argv (after `filestore`) into what to do: print help, print the version, or run a
 * command with checked options and positionals. Every mistake is a UsageError (exit code 2).
 */
import { parseArgs } from "node:util";
import { parseHostPort } from "../config/address.ts";
import { commandNamed, commands, type CommandSpec } from "./commands.ts";
import { commandHelp, generalHelp } from "./help.ts";
import { normaliseOptionTokens } from "./option_tokens.ts";
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
    const tokens = normaliseOptionTokens(command, args);
    parsed = parseArgs({ args: tokens, options: command.options, strict: true, allowPositionals: true });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw usageError(command, parseArgsProblem(error as Error));
  }
  if (parsed.values.help === true) return { kind: "help", text: commandHelp(command) };
  const options = parsed.values as Record<string, string | boolean | undefined>;
  checkPositionals(command, parsed.positionals, options);
  checkOptionValues(command, options);
  return { kind: "run", command: command.name, positionals: parsed.positionals, options };
}

function checkPositionals(command: CommandSpec, positionals: string[], options: Record<string, unknown>): void {
  const alternative = command.positionalsWith;
  const alternativeChosen = alternative !== undefined && options[alternative.option] === true;
  const expected = alternativeChosen ? alternative.positionals : command.positionals;
  const fewest = alternativeChosen ? expected.length : (command.positionalsMin ?? expected.length);
  if (positionals.length >= fewest && positionals.length <= expected.length) return;
  const names = expected.length === 0 ? "no arguments" : expected.join(" ");
  const problem = positionals.length < fewest ? "missing argument" : "too many arguments";
  throw usageError(command, `${problem}; expected ${names}`);
}

/** Values the table constrains: HOST:PORT addresses and fixed choices. */
function checkOptionValues(command: CommandSpec, options: Record<string, string | boolean | undefined>): void {
  for (const [name, spec] of Object.entries(command.options)) {
    const value = options[name];
    if (typeof value !== "string") continue;
    if (spec.format === "hostPort" && !isDialableHostPort(value)) {
      throw new UsageError(`${command.name}: --${name} must be HOST:PORT, got "${value}"`, command.name);
    }
    if (spec.choices !== undefined && !spec.choices.includes(value)) {
      const choices = spec.choices.join(", ");
      throw new UsageError(`${command.name}: --${name} must be one of ${choices}, got "${value}"`, command.name);
    }
  }
}

/** "COMMAND: problem (see `filestore help COMMAND`)". */
function usageError(command: CommandSpec, problem: string): UsageError {
  return new UsageError(`${command.name}: ${problem} (see \`filestore help ${command.name}\`)`, command.name);
}

/** HOST:PORT (or [IPV6]:PORT) with a port one can connect to (not 0). */
function isDialableHostPort(text: string): boolean {
  const parsed = parseHostPort(text);
  return typeof parsed !== "string" && parsed.port > 0;
}

/** parseArgs' complaint in the CLI's words: which option lacks a value, or what it found. */
function parseArgsProblem(error: Error): string {
  const code = (error as { code?: unknown }).code;
  const option = /'(?:-\w, )?(--[\w-]+)/.exec(error.message)?.[1];
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option !== undefined) {
    if (/does not take an argument/.test(error.message)) return `${option} takes no value`;
    return `${option} needs a value`;
  }
  return firstLine(error.message);
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
