/**
 * The server limits serve derives from the configuration: valid at the defaults and at every
 * setting's bounds.
 */
import { expect, test } from "bun:test";
import { serverLimitsFor } from "../../src/cli/server_limits.ts";
import { defaultConfig, resolveConfig } from "../../src/config/load.ts";
import { settingNamed } from "../../src/config/settings.ts";
import { resolveLimits } from "../../src/net/limits.ts";

test("the default configuration gives valid server limits", () => {
  const limits = resolveLimits(serverLimitsFor(defaultConfig()));
  expect(limits.frameSizeBytesMax).toBe(16 * 1024 * 1024);
  expect(limits.inflightRequestsPerConnectionMax).toBe(8192);
  expect(limits.valueSizeBytesMax).toBe(8 * 1024 * 1024);
});

test("every configuration at the bounds of its settings gives valid server limits", () => {
  const extremes: Array<Record<string, number>> = [];
  for (const name of ["frame-size-bytes-max", "connections-max", "inflight-per-connection-max", "idle-timeout-ms"]) {
    const type = settingNamed(name)!.type;
    if (type.kind !== "integer") throw new Error(`${name} is not an integer setting`);
    extremes.push({ [name]: type.min }, { [name]: type.max });
  }
  for (const file of extremes) {
    const limits = resolveLimits(serverLimitsFor(resolveConfig(file, "test", {})));
    expect(limits.frameSizeBytesMax).toBeGreaterThanOrEqual(limits.valueSizeBytesMax + limits.keySizeBytesMax);
  }
});

test("a small frame lowers the largest value instead of refusing to start", () => {
  const limits = resolveLimits(serverLimitsFor(resolveConfig({ "frame-size-bytes-max": 65536 }, "test", {})));
  expect(limits.frameSizeBytesMax).toBe(65536);
  expect(limits.valueSizeBytesMax).toBeLessThan(65536);
  expect(limits.valueSizeBytesMax).toBeGreaterThan(32 * 1024);
});
