/**
 * Writers for the Prometheus text exposition format (version 0.0.4): HELP/TYPE headers,
 * samples with escaped label values, and histograms as cumulative `_bucket` lines.
 */
import type { Histogram } from "./histogram.ts";

type Labels = Record<string, string>;

export function writeHeader(lines: string[], name: string, type: "counter" | "gauge" | "histogram", help: string): void {
  lines.push(`# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
  lines.push(`# TYPE ${name} ${type}`);
}

export function writeSample(lines: string[], name: string, labels: Labels, value: number): void {
  lines.push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
}

export function writeHistogram(lines: string[], name: string, labels: Labels, histogram: Histogram): void {
  let cumulative = 0;
  const bounds = histogram.bounds;
  for (let index = 0; index < bounds.length; index++) {
    cumulative += histogram.counts[index];
    writeSample(lines, `${name}_bucket`, { ...labels, le: String(bounds[index]) }, cumulative);
  }
  writeSample(lines, `${name}_bucket`, { ...labels, le: "+Inf" }, histogram.count);
  writeSample(lines, `${name}_sum`, labels, histogram.sum);
  writeSample(lines, `${name}_count`, labels, histogram.count);
}

function formatLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(([key, value]) => `${key}="${escapeLabelValue(value)}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}
