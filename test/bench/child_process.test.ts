/**
 * The benchmark's helpers for peer processes (waiting for a port or a log line, stopping a peer,
 * temporary folders) and the frame sizes it reports.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { spawnPeer, stopPeer, waitForLogLine, waitForPort } from "../../bench/lib/child_process.ts";
import { BenchError } from "../../bench/lib/errors.ts";
import { findFreePort } from "../../bench/lib/free_port.ts";
import { keySizeBytes, valueSizeBytes } from "../../bench/lib/defaults.ts";
import { measureGetFrameSizes } from "../../bench/lib/get_frame_sizes.ts";
import { makeTempDirectory, removeTempDirectory } from "../../bench/lib/temp_directory.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDirectory(): string {
  const directory = makeTempDirectory("test");
  cleanups.push(() => removeTempDirectory(directory));
  return directory;
}

describe("peer processes", () => {
  test("waitForPort resolves once something listens", async () => {
    const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    cleanups.push(() => listener.stop(true));
    await waitForPort(listener.port);
  });

  test("waitForPort fails with the exit code when the peer dies before listening", async () => {
    const child = spawnPeer([process.execPath, "-e", "process.exit(3)"], `${tempDirectory()}/peer.log`);
    await child.exited;
    const failure = waitForPort(findFreePort(), child);
    await expect(failure).rejects.toThrow(BenchError);
    await expect(failure).rejects.toThrow("code 3");
  });

  test("waitForLogLine reads the peer's ready line; stopPeer ends a peer that keeps running", async () => {
    const logPath = `${tempDirectory()}/peer.log`;
    const script = 'console.log("ready client=127.0.0.1:4242"); setInterval(() => {}, 1000);';
    const child = spawnPeer([process.execPath, "-e", script], logPath);
    const match = await waitForLogLine(logPath, /client=(\S+)/, child);
    expect(match[1]).toBe("127.0.0.1:4242");
    await stopPeer(child);
    expect(child.signalCode).toBe("SIGTERM");
  });

  test("temporary directories live under the system temp folder and are removed", () => {
    const directory = makeTempDirectory("removal");
    expect(directory.startsWith(tmpdir())).toBe(true);
    expect(existsSync(directory)).toBe(true);
    removeTempDirectory(directory);
    expect(existsSync(directory)).toBe(false);
  });
});

describe("frame sizes", () => {
  test("a get reply frame is larger than its request by at least the value", () => {
    const sizes = measureGetFrameSizes();
    expect(sizes.requestPayloadBytes).toBeGreaterThan(keySizeBytes);
    expect(sizes.replyPayloadBytes - sizes.requestPayloadBytes).toBeGreaterThanOrEqual(valueSizeBytes - keySizeBytes);
  });
});
