/**
 * What `filestore check` found in a data folder: the files it checked (one line each) and the
 * findings. A finding is damage (a checksum failure or anything else start-up would refuse or
 * lose data over: exit 7) or a note (something start-up handles harmlessly, e.g. a torn tail
 * it cuts). The log, the engine and the Raft storage each add what they know of their files.
 */

type FindingSeverity = "damage" | "note";

interface CheckedFile {
  file: string;
  /** What the file is: "log segment", "checkpoint", "hard state", "snapshot". */
  kind: string;
  /** Its contents in a few words, e.g. "records 1..20, 1579 bytes". */
  detail: string;
}

export interface Finding {
  severity: FindingSeverity;
  file: string;
  /** Byte offset in the file, when the finding has one. */
  offset: number | null;
  /** Record index (log record, hard-state record), when the finding is about one. */
  index: number | null;
  what: string;
}

export class InspectionReport {
  readonly files: CheckedFile[] = [];
  readonly findings: Finding[] = [];

  checked(file: string, kind: string, detail: string): void {
    this.files.push({ file, kind, detail });
  }

  damage(file: string, offset: number | null, index: number | null, what: string): void {
    this.findings.push({ severity: "damage", file, offset, index, what });
  }

  note(file: string, offset: number | null, index: number | null, what: string): void {
    this.findings.push({ severity: "note", file, offset, index, what });
  }

  isDamaged(): boolean {
    return this.findings.some((finding) => finding.severity === "damage");
  }
}
