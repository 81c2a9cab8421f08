/**
 * CPU time a process has used, from Linux's /proc/PID/stat: user plus system time (fields 14 and
 * 15, utime and stime, in clock ticks of `getconf CLK_TCK`). Two readings some seconds apart give
 * the share of one core the process took between them, whatever else ran on the machine.
 */
import { readFileSync } from "node:fs";
import { BenchError } from "./errors.ts";

/** Linux's USER_HZ on every architecture it runs on; `getconf CLK_TCK` confirms it when present. */
const clockTicksPerSecondDefault = 100;

let clockTicksPerSecond: number | null = null;

function ticksPerSecond(): number {
  if (clockTicksPerSecond !== null) return clockTicksPerSecond;
  const answer = Bun.which("getconf") === null ? "" : Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim();
  const parsed = Number(answer);
  clockTicksPerSecond = Number.isInteger(parsed) && parsed > 0 ? parsed : clockTicksPerSecondDefault;
  return clockTicksPerSecond;
}

/**
 * utime + stime in clock ticks from the text of /proc/PID/stat. The second field (the command
 * name, in parentheses) may itself hold spaces and parentheses, so fields are counted from the
 * last `)`: after it come field 3 (state), ..., field 14 (utime), field 15 (stime).
 */
export function parseCpuTicks(stat: string): number {
  const nameEnd = stat.lastIndexOf(")");
  if (nameEnd < 0) throw new BenchError(`not a /proc/PID/stat line: ${stat.slice(0, 80)}`);
  const fields = stat.slice(nameEnd + 2).trim().split(/\s+/);
  const utimeIndex = 14 - 3;
  const userTicks = Number(fields[utimeIndex]);
  const systemTicks = Number(fields[utimeIndex + 1]);
  if (!Number.isInteger(userTicks) || !Number.isInteger(systemTicks)) {
    throw new BenchError(`no utime and stime in /proc/PID/stat: ${stat.slice(0, 80)}`);
  }
  return userTicks + systemTicks;
}

/** CPU seconds (user + system) process `pid` has used since it started. */
export function processCpuSeconds(pid: number): number {
  return parseCpuTicks(readFileSync(`/proc/${pid}/stat`, "utf8")) / ticksPerSecond();
}
