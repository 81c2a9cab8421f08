/**
 * A node's stop, once begun, runs to its end: a second SIGINT or SIGTERM during it is ignored.
 * `npm start` forwards a terminal's Ctrl-C to the node, which the terminal also signals, so the
 * node gets it twice; the second must not cut short the checkpoint and the log's sync.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";

const fixture = join(import.meta.dir, "fixtures/second_signal_child.ts");
/** Longest the fixture may take to start or to answer; generous for a loaded 2-core machine. */
const childWaitMsMax = 30_000;

test("signals after the first do not end the stop", async () => {
  const child = Bun.spawn([process.execPath, fixture], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let received = "";
  const waitForLine = async (line: string): Promise<void> => {
    const deadline = performance.now() + childWaitMsMax;
    while (!received.split("\n").includes(line)) {
      expect(performance.now()).toBeLessThan(deadline);
      const { value, done } = await lines.read();
      if (done) throw new Error(`the fixture ended before printing "${line}"; it printed: ${received}`);
      received += value;
    }
  };
  await waitForLine("waiting");
  child.kill("SIGTERM");
  await waitForLine("stopping SIGTERM");
  child.kill("SIGINT");
  child.kill("SIGTERM");
  child.stdin.write("go on\n");
  await child.stdin.end();
  expect(await child.exited).toBe(0);
  await waitForLine("stopped");
});
