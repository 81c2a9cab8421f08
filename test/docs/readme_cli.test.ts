/**
 * README.md and `filestore --help` tell one story: the README's exit-code table lists the codes of
 * src/cli/exit_codes.ts with the help's words, its Configuration table lists every setting with
 * its default, and every `filestore` command in its ```sh blocks parses against the command table
 * (so an option renamed in one place only fails here). Help shows values as they are written
 * (HOST:PORT, MS, NAME), never as type names.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { commandNamed } from "../../src/cli/commands.ts";
import { ExitCode, exitCodeHelp } from "../../src/cli/exit_codes.ts";
import { commandHelp, generalHelp } from "../../src/cli/help.ts";
import { parseCommandLine } from "../../src/cli/parse.ts";
import { settings } from "../../src/config/settings.ts";
import { sectionCommands } from "./readme_commands.ts";

const readme = await Bun.file(join(import.meta.dir, "../../README.md")).text();

/** The rows of the Markdown table whose header line is `header`, as arrays of trimmed cells. */
function tableRows(header: string): string[][] {
  const lines = readme.split("\n");
  const start = lines.indexOf(header);
  if (start < 0) throw new Error(`README has no table headed ${header}`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(line.split("|").slice(1, -1).map((cell) => cell.trim()));
  }
  return rows;
}

/** Words of a shell command as sh would split them: single and double quotes, no expansions. */
function shellWords(command: string): string[] {
  const words: string[] = [];
  for (const match of command.matchAll(/'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g)) {
    words.push(match[1] ?? match[2]?.replace(/\\(.)/g, "$1") ?? match[3]);
  }
  return words;
}

/** Every `filestore ...` command of the README's shell blocks, with `$peers` set as the README sets it. */
function readmeFilestoreCommands(): string[] {
  const headings = readme.split("\n").filter((line) => line.startsWith("## ")).map((line) => line.slice(3));
  const lines = headings.flatMap((heading) => sectionCommands(readme, heading));
  const peers = lines.map((line) => /^peers=(\S+)$/.exec(line)?.[1]).find((value) => value !== undefined) ?? "";
  return lines
    .flatMap((line) => line.split(/ \| |; /))
    .map((part) => part.trim().replace(/ < \S+$/, "").replace(/ &$/, "").replaceAll("$peers", peers))
    .filter((part) => /^(npx )?filestore /.test(part));
}

test("the README's exit codes are the help's, in the same words", () => {
  const helpCodes = [...exitCodeHelp.matchAll(/^ {2}(\d+) +(.+)$/gm)].map((match) => Number(match[1]));
  const readmeCodes = tableRows("| exit code | meaning |").map(([code]) => Number(code));
  const definedCodes = [...new Set(Object.values(ExitCode))].toSorted((a, b) => a - b);
  expect({ readme: readmeCodes, help: helpCodes }).toEqual({ readme: definedCodes, help: definedCodes });
  const row6 = tableRows("| exit code | meaning |").find(([code]) => code === "6")![1].replaceAll("`", "");
  expect(exitCodeHelp).toContain(row6);
});

test("the README's Configuration table lists every setting, with its default", () => {
  const rows = tableRows("| setting | default | meaning |");
  expect(rows.map(([name]) => name.replaceAll("`", ""))).toEqual(settings.map((setting) => setting.name));
  for (const setting of settings) {
    const [, shown] = rows.find(([name]) => name === `\`${setting.name}\``)!;
    const expected = Array.isArray(setting.default) || setting.default === "" ? null : `\`${setting.default}\``;
    // Settings without a value of their own (node-id, peers, peer-listen) say in words what applies.
    expect({ setting: setting.name, shown: expected === null ? shown.startsWith("(") : shown })
      .toEqual({ setting: setting.name, shown: expected ?? true });
  }
});

test("every filestore command in the README's shell blocks parses", () => {
  const commands = readmeFilestoreCommands();
  expect(commands.length).toBeGreaterThan(20);
  const failures: string[] = [];
  for (const command of commands) {
    try {
      parseCommandLine(shellWords(command).slice(command.startsWith("npx ") ? 2 : 1));
    } catch (error) {
      failures.push(`${command}: ${(error as Error).message}`);
    }
  }
  expect(failures).toEqual([]);
});

test("help shows each serve setting's value as it is written, with its range", () => {
  const serveHelp = commandHelp(commandNamed("serve")!);
  expect(serveHelp).not.toMatch(/--\S+ (STRING|ADDRESS|ADDRESS-LIST|OPTIONAL-ADDRESS|PATH|INTEGER)\b/);
  for (const shown of ["--node-id NAME", "--peers NAME=HOST:PORT,...", "--peer-listen HOST:PORT", "--data DIR"]) {
    expect(serveHelp).toContain(shown);
  }
  expect(serveHelp).toMatch(/--idle-timeout-ms MS +.*\(1000-86400000; default 300000\)/);
  expect(serveHelp).toMatch(/--connections-max N +.*\(1-100000; default 1024\)/);
});

test("help names what `filestore help` takes, and the version flag", () => {
  expect(commandHelp(commandNamed("help")!)).toStartWith("Usage: filestore help [COMMAND]\n");
  expect(generalHelp()).toContain("`filestore --version`");
});
