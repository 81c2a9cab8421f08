/**
 * `filestore check --data DIR`: verifies every checksum of a data folder without starting a
 * node, with the readers start-up uses, and changes nothing in it. A single node's folder holds
 * the engine (log/, checkpoint.bin); a replica's holds raft/ (Raft log, hard state, snapshot)
 * and engine/. Prints one line per file checked and one per finding, then a result line.
 *
 * Exit 0 when nothing is damaged, 7 (damaged) when anything is. A torn tail (the last write cut
 * by a crash, never acknowledged, which start-up cuts) is a note and does not count as damage.
 * The check takes the folder's lock like a node does, so it never reads a running node's tail
 * mid-write; a folder in use exits 5.
 */
import fs from "node:fs";
import path from "node:path";
import { inspectRaftFolder } from "../cluster/storage/storage_inspection.ts";
import { settings } from "../config/settings.ts";
import { inspectEngineFolder } from "../engine/engine_inspection.ts";
import { DataFolderError, lockDataFolder } from "../util/data_folder_lock.ts";
import { type Finding, InspectionReport } from "../util/inspection_report.ts";
import { systemErrorCode, systemErrorText } from "../util/system_error_text.ts";
import { ExitCode, type ExitCodeValue } from "./exit_codes.ts";
import { writeErrorLine, writeStdout } from "./output.ts";

type Layout = "single node" | "replicated";

/** Sub-folders of a replica's data folder (cluster_node.ts). */
const raftFolderName = "raft";
const engineFolderName = "engine";

export async function runCheck(options: Record<string, string | boolean | undefined>): Promise<ExitCodeValue> {
  const folder = typeof options.data === "string" ? options.data : dataFolderDefault();
  const layout = layoutOf(folder);
  const lock = lockDataFolder(folder, { create: false });
  const report = new InspectionReport();
  try {
    inspect(folder, layout, report);
  } catch (error) {
    if (systemErrorCode(error) === null) throw error;
    throw new DataFolderError(`data folder ${folder}: cannot read it: ${systemErrorText(error)}`);
  } finally {
    lock.release();
  }
  await writeStdout(options.json === true ? jsonReport(folder, layout, report) : textReport(folder, layout, report));
  if (!report.isDamaged()) return ExitCode.ok;
  const damage = report.findings.filter((finding) => finding.severity === "damage").length;
  await writeErrorLine(`data folder ${folder} is damaged: ${plural(damage, "problem")} (listed on stdout)`);
  return ExitCode.damaged;
}

function dataFolderDefault(): string {
  return String(settings.find((setting) => setting.name === "data")?.default);
}

/** Which kind of data the folder holds; DataFolderError when it is missing or holds none. */
function layoutOf(folder: string): Layout {
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch (error) {
    const code = systemErrorCode(error);
    const problem =
      code === "ENOENT" ? "no such folder" : code === "ENOTDIR" ? "not a folder" : systemErrorText(error, folder);
    throw new DataFolderError(`data folder ${folder}: ${problem}`);
  }
  if (names.includes(raftFolderName) || names.includes(engineFolderName)) return "replicated";
  if (names.includes("log")) return "single node";
  throw new DataFolderError(`data folder ${folder}: holds no FileStore data (no log, raft or engine folder inside)`);
}

function inspect(folder: string, layout: Layout, report: InspectionReport): void {
  if (layout === "single node") {
    inspectEngineFolder(folder, report);
    return;
  }
  inspectRaftFolder(path.join(folder, raftFolderName), report);
  inspectEngineFolder(path.join(folder, engineFolderName), report);
}

function textReport(folder: string, layout: Layout, report: InspectionReport): string {
  const lines: string[] = [];
  for (const file of report.files) {
    lines.push(`checked  ${file.file}: ${file.kind}, ${file.detail}`);
    for (const finding of report.findings) if (finding.file === file.file) lines.push(findingLine(finding));
  }
  const listed = new Set(report.files.map((file) => file.file));
  for (const finding of report.findings) if (!listed.has(finding.file)) lines.push(findingLine(finding));
  lines.push(resultLine(folder, layout, report));
  return `${lines.join("\n")}\n`;
}

function findingLine(finding: Finding): string {
  const offset = finding.offset === null ? "" : ` offset ${finding.offset}`;
  const index = finding.index === null ? "" : ` record ${finding.index}`;
  const label = finding.severity === "damage" ? "DAMAGED" : "note   ";
  return `${label}  ${finding.file}${offset}${index}: ${finding.what}`;
}

function resultLine(folder: string, layout: Layout, report: InspectionReport): string {
  const damage = report.findings.filter((finding) => finding.severity === "damage").length;
  const notes = report.findings.length - damage;
  const files = plural(report.files.length, "file");
  const counts = `${files} checked, ${plural(damage, "problem")}, ${plural(notes, "note")}`;
  return `${report.isDamaged() ? "damaged" : "clean"}: ${folder} (${layout}): ${counts}`;
}

function jsonReport(folder: string, layout: Layout, report: InspectionReport): string {
  const result = report.isDamaged() ? "damaged" : "clean";
  return `${JSON.stringify({ folder, layout, result, files: report.files, findings: report.findings })}\n`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
