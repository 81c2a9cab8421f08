/**
 * The `filestore` command: parse argv, run the command, turn any error into one stderr line
 * and an exit code. Serving and connecting are passed in so tests can run the CLI in process.
 */
import packageJson from "../../package.json";
import { runCheck } from "./check.ts";
import { runClientCommand, type ConnectStore } from "./client_commands.ts";
import { runClusterCommand } from "./cluster_commands.ts";
import { exitCodeForError, messageOf } from "./error_exit.ts";
import { ExitCode, type ExitCodeValue } from "./exit_codes.ts";
import { writeErrorLine, writeStdout } from "./output.ts";
import { parseCommandLine } from "./parse.ts";

interface CliDependencies {
  connect: ConnectStore;
  /** Runs a node until SIGINT/SIGTERM; resolves with the exit code. */
  serve: (options: Record<string, string | boolean | undefined>) => Promise<ExitCodeValue>;
  stdoutIsTerminal: boolean;
}

export async function runCli(argv: readonly string[], dependencies: CliDependencies): Promise<ExitCodeValue> {
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.kind === "help") {
      await writeStdout(parsed.text);
      return ExitCode.ok;
    }
    if (parsed.kind === "version") {
      await writeStdout(`filestore ${packageJson.version}\n`);
      return ExitCode.ok;
    }
    if (parsed.command === "serve") return await dependencies.serve(parsed.options);
    if (parsed.command === "check") return await runCheck(parsed.options);
    if (parsed.command === "status" || parsed.command === "cluster") return await runClusterCommand(parsed.command, parsed.positionals, parsed.options);
    return await runClientCommand({ ...parsed, stdoutIsTerminal: dependencies.stdoutIsTerminal }, dependencies.connect);
  } catch (error) {
    await writeErrorLine(messageOf(error));
    return exitCodeForError(error);
  }
}
