#!/usr/bin/env bun
/**
 * Entry point of the `filestore` program (and of the compiled dist/filestore): the CLI.
 * Commands, options and exit codes: src/cli/commands.ts, src/cli/exit_codes.ts.
 */
import { connect } from "./client/index.ts";
import { runCli } from "./cli/run.ts";
import { serve } from "./cli/serve.ts";

const exitCode = await runCli(process.argv.slice(2), {
  connect: (address, timeoutMs) => connect(address, { timeoutMs, cluster: true }),
  serve,
  stdoutIsTerminal: process.stdout.isTTY === true,
});
// Exit explicitly: output is already flushed (awaited writes), and a lingering handle must not
// keep a finished command alive.
process.exit(exitCode);
