/** Help text for `filestore --help` and `filestore help COMMAND`, built from the command table. */
import { commands, type CommandSpec } from "./commands.ts";
import { exitCodeHelp } from "./exit_codes.ts";

export function generalHelp(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  const lines = commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return [
    "filestore: a key-value store for low-latency systems",
    "",
    "Usage: filestore COMMAND [OPTIONS] [ARGUMENTS]",
    "",
    "Commands:",
    ...lines,
    "",
    "Run `filestore help COMMAND` or `filestore COMMAND --help` for a command's options;",
    "`filestore --version` prints the version.",
    "",
    exitCodeHelp,
    "",
  ].join("\n");
}

export function commandHelp(command: CommandSpec): string {
  const options = Object.keys(command.options).length > 0 ? ["[OPTIONS]"] : [];
  const usage = ["filestore", command.name, ...options, ...command.positionals].join(" ");
  const optionLines = Object.entries(command.options).map(([name, option]) => {
    const short = option.short === undefined ? "    " : `-${option.short}, `;
    const value = option.type === "string" ? ` ${option.valueName ?? "VALUE"}` : "";
    return { left: `  ${short}--${name}${value}`, right: option.description };
  });
  const width = Math.max(0, ...optionLines.map((line) => line.left.length));
  const parts = [`Usage: ${usage}`];
  const alternative = command.positionalsWith;
  if (alternative !== undefined) {
    const words = ["filestore", command.name, "[OPTIONS]", `--${alternative.option}`, ...alternative.positionals];
    parts.push(`       ${words.join(" ")}`);
  }
  parts.push("", command.summary);
  if (command.details !== undefined) parts.push("", command.details);
  if (optionLines.length > 0) {
    parts.push("", "Options:", ...optionLines.map((line) => `${line.left.padEnd(width)}  ${line.right}`));
  }
  parts.push("", exitCodeHelp, "");
  return parts.join("\n");
}
