/**
 * What a log's recovery found, as log lines: one summary (records recovered), then one line per
 * finding: the torn tail cut (file and the offset it now ends at), each corrupt record (file,
 * offset, index: refused, never served) and each segment set aside.
 */
import type { Logger } from "../util/logger.ts";
import type { RecoveryReport } from "./types.ts";

export function logRecovery(logger: Logger, dir: string, report: RecoveryReport): void {
  logger.info("log recovered", {
    dir,
    segments: report.segmentsScanned,
    records: report.recordsRecovered,
    corrupt_records: report.corruptRecords.length,
  });
  const torn = report.tornTail;
  if (torn !== null) {
    logger.warn("torn tail cut", { file: torn.file, offset: torn.offset, bytes: torn.bytesCut });
  }
  for (const record of report.corruptRecords) {
    const { file, offset, index, reason } = record;
    logger.error("corrupt record", { file, offset, index, reason });
  }
  for (const segment of report.segmentsSetAside) {
    logger.error("segment set aside", { file: segment.file, moved_to: segment.movedTo, reason: segment.reason });
  }
}
