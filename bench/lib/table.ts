/**
 * Fixed-width text tables for measurements and target checks. Columns are padded to their
 * widest cell so the output lines up in a terminal and diffs well between runs.
 */
import type { Measurement, SectionResult, TargetCheck } from "./result.ts";
import { describeShape } from "./result.ts";

/** The first `leftAlignedCount` columns (names) are aligned left, the rest (figures) right. */
export function formatTable(header: string[], rows: string[][], leftAlignedCount = 2): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const aligned = (cell: string, column: number) =>
    (column < leftAlignedCount ? cell.padEnd(widths[column]) : cell.padStart(widths[column]));
  const line = (cells: string[]) => cells.map(aligned).join("  ");
  const rule = widths.map((width) => "-".repeat(width)).join("  ");
  return [line(header), rule, ...rows.map(line)].join("\n");
}

export function formatNumber(value: number): string {
  // NaN marks a figure the source does not provide (redis-benchmark has no P99.9).
  if (Number.isNaN(value)) return "-";
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString("en-US");
  return value.toFixed(1);
}

export function formatMeasurements(measurements: Measurement[]): string {
  const header = ["system / op", "shape", "P50 µs", "P99 µs", "P99.9 µs", "max µs", "count", "ops/s"];
  const rows = measurements.map((m) => [
    `${m.system} ${m.operation}${m.source ? ` (${m.source})` : ""}`,
    describeShape(m.shape),
    formatNumber(m.latency.p50Microseconds),
    formatNumber(m.latency.p99Microseconds),
    formatNumber(m.latency.p999Microseconds),
    formatNumber(m.latency.maxMicroseconds),
    String(m.latency.count),
    formatNumber(m.throughputPerSecond),
  ]);
  return formatTable(header, rows);
}

export function formatTargets(targets: TargetCheck[]): string {
  const header = ["target", "", "measured", "reference", "ratio", "goal", "result"];
  const rows = targets.map((t) => [
    t.description,
    t.unit,
    formatNumber(t.measured),
    formatNumber(t.reference),
    `${t.ratio.toFixed(2)}x`,
    `${t.comparison} ${t.limitRatio}x`,
    t.passed ? "PASS" : "MISS",
  ]);
  return formatTable(header, rows);
}

export function formatSection(result: SectionResult): string {
  const parts = [`== ${result.section} ==`];
  if (result.measurements.length > 0) parts.push(formatMeasurements(result.measurements));
  for (const table of result.tables ?? []) parts.push("", table.title, formatTable(table.header, table.rows, 1));
  if (result.targets.length > 0) parts.push("", formatTargets(result.targets));
  for (const note of result.notes) parts.push(`note: ${note}`);
  for (const m of result.measurements) {
    if (m.driverLagMaxMicroseconds === undefined) continue;
    parts.push(`note: ${m.system} ${m.operation} open loop: client send lag up to ${formatNumber(m.driverLagMaxMicroseconds)} µs (client-side stalls, counted in its latencies)`);
  }
  return parts.join("\n");
}
