/**
 * `filestore latency` as a real process against a real node: one line per interval with the
 * probe count and min/avg/P50/P99/max; --count stops it; Ctrl-C (SIGINT) stops it with exit 0.
 */
import { expect, test } from "bun:test";
import { ExitCode } from "../../src/cli/exit_codes.ts";
import { nodePerFile, processWaitMsMax, runCommand, sourceProgram } from "./process_harness.ts";

const milliseconds = (name: string) => String.raw`${name}_ms=(\d+\.\d{3})`;
const intervalLine = new RegExp(
  String.raw`^probes=(\d+) ` + ["min", "avg", "p50", "p99", "max"].map(milliseconds).join(" ") + "$",
);
const shared = nodePerFile("latency");

/** min <= p50 <= p99 and avg within [min, max]; percentiles are HDR values (3 digits), so allow their rounding. */
function expectOrdered(line: string): void {
  const [, probes, min, avg, p50, p99, max] = intervalLine.exec(line)!.map(Number);
  expect(probes).toBeGreaterThanOrEqual(1);
  expect(min).toBeLessThanOrEqual(avg);
  expect(avg).toBeLessThanOrEqual(max);
  expect(p50).toBeLessThanOrEqual(p99);
  expect(p50).toBeGreaterThanOrEqual(min * 0.99 - 0.001);
  expect(p99).toBeLessThanOrEqual(max * 1.01 + 0.001);
}

test("--count N prints N interval lines and exits 0", async () => {
  const server = shared.node.clientAddress;
  const args = ["latency", "--server", server, "--interval-ms", "50", "--count", "3", "--gap-ms", "0"];
  const result = await runCommand(sourceProgram, args);
  expect(result.stderrText).toBe("");
  expect(result.exitCode).toBe(ExitCode.ok);
  const lines = result.stdoutText.trimEnd().split("\n");
  expect(lines).toHaveLength(3);
  for (const line of lines) {
    expect(line).toMatch(intervalLine);
    expectOrdered(line);
  }
});

test("Ctrl-C (SIGINT) stops the endless probe with exit 0", async () => {
  const server = shared.node.clientAddress;
  const child = Bun.spawn([...sourceProgram, "latency", "--server", server, "--interval-ms", "20"], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const reader = child.stdout.getReader();
  let output = "";
  const deadline = performance.now() + processWaitMsMax;
  while (!output.includes("\n") && performance.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    output += new TextDecoder().decode(value);
  }
  expect(output.split("\n")[0]).toMatch(intervalLine);
  child.kill("SIGINT");
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    output += new TextDecoder().decode(value);
  }
  const [stderr, exitCode] = await Promise.all([new Response(child.stderr).text(), child.exited]);
  expect(stderr).toBe("");
  expect(exitCode).toBe(ExitCode.ok);
  for (const line of output.trimEnd().split("\n")) expect(line).toMatch(intervalLine);
});

test("bad options are usage errors before anything is sent", async () => {
  for (const [args, message] of [
    [["--interval-ms", "0"], "latency: --interval-ms must be a whole number from 1"],
    [["--count", "-2"], 'latency: --count must be a whole number from 1 to 9007199254740991, got "-2"'],
    [["--consistency", "bounded"], "latency: --consistency bounded needs --max-staleness-ms"],
  ] as const) {
    const result = await runCommand(sourceProgram, ["latency", "--server", "127.0.0.1:1", ...args]);
    expect(result.exitCode).toBe(ExitCode.usage);
    expect(result.stderrText).toContain(message);
  }
});
