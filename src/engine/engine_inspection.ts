/**
 * A read-only check of an engine folder for `filestore check`: its log segments (log_inspection.ts)
 * and its checkpoint, judged by the same decoder and the same fit test start-up uses
 * (checkpoint.ts, recovery.ts). A damaged checkpoint loses no data, since start-up then replays
 * the whole log instead, but a failed checksum is still damage on the disk and is reported so.
 */
import fs from "node:fs";
import path from "node:path";
import { inspectedLastIndex, inspectLog, reportLog } from "../log/log_inspection.ts";
import type { InspectionReport } from "../util/inspection_report.ts";
import { checkpointFileName, decodeCheckpointOrProblem } from "./checkpoint.ts";
import { engineLogFolderName } from "./engine.ts";
import { checkpointFitsLog } from "./recovery.ts";

export function inspectEngineFolder(dir: string, report: InspectionReport): void {
  const log = inspectLog(path.join(dir, engineLogFolderName));
  reportLog(report, log);
  const firstIndex = log.segments[0]?.firstIndex ?? 1;
  inspectCheckpoint(path.join(dir, checkpointFileName), firstIndex, inspectedLastIndex(log), report);
  const leftover = path.join(dir, `${checkpointFileName}.tmp`);
  if (fs.existsSync(leftover))
    report.note(leftover, null, null, "leftover of an interrupted checkpoint; the next checkpoint replaces it");
}

function inspectCheckpoint(file: string, logFirstIndex: number, logLastIndex: number, report: InspectionReport): void {
  if (!fs.existsSync(file)) return;
  const bytes = new Uint8Array(fs.readFileSync(file));
  const decoded = decodeCheckpointOrProblem(bytes);
  if (typeof decoded === "string") {
    report.checked(file, "checkpoint", `${bytes.length} bytes`);
    report.damage(file, null, null, `${decoded}; start-up ignores the checkpoint and replays the whole log`);
    return;
  }
  report.checked(
    file,
    "checkpoint",
    `${decoded.index.size} keys, covers log records up to ${decoded.coveredLogIndex}, ${bytes.length} bytes`,
  );
  if (!checkpointFitsLog(decoded, logFirstIndex, logLastIndex)) {
    const records = `${logFirstIndex}..${logLastIndex}`;
    const what = `points outside the log's records ${records}; start-up ignores it and replays the whole log`;
    report.note(file, null, null, what);
  }
}
