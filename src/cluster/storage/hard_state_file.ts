/**
 * The hard state (term, vote, commit) as a tiny log of fixed-size records, newest last:
 * a change appends one record and, when asked, fdatasyncs it (no rename per change). Term and
 * vote changes are synced; a commit-only change is not (Raft re-learns the commit index). When the file holds
 * hardStateRecordsPerFileMax records it is replaced atomically by one holding the newest.
 *
 * Record layout (32 bytes, little endian):
 *   offset 0  u32 magic     hardStateMagic
 *   offset 4  u32 checksum  CRC32C of bytes 8..31
 *   offset 8  f64 term
 *   offset 16 f64 commit
 *   offset 24 u32 vote
 *   offset 28 u32 reserved, zero
 * Recovery: a trailing partial record, or a trailing all-zero one (space the file system
 * extended but never wrote), is a write a crash interrupted before it was acknowledged and is
 * cut off. Any other record that fails its checks is corruption: RaftStorageCorruptError,
 * never a silent fallback to an older or empty hard state.
 */
import fs from "node:fs";
import { crc32c } from "@node-rs/crc32";
import type { HardState } from "../raft/types.ts";
import { RaftStorageCorruptError } from "./types.ts";
import { hardStateRecordsPerFileMax } from "./storage_constants.ts";
import { replaceFileAtomically, writeFully } from "../../util/durable_file.ts";

export const hardStateRecordBytes = 32;
const hardStateMagic = 0x31535448;
const checksummedFrom = 8;
const emptyHardState: HardState = { term: 0, vote: 0, commit: 0 };

function encodeHardStateRecord(hardState: HardState): Uint8Array {
  const record = new Uint8Array(hardStateRecordBytes);
  const view = new DataView(record.buffer);
  view.setUint32(0, hardStateMagic, true);
  view.setFloat64(8, hardState.term, true);
  view.setFloat64(16, hardState.commit, true);
  view.setUint32(24, hardState.vote, true);
  view.setUint32(4, crc32c(record.subarray(checksummedFrom)), true);
  return record;
}

/** The hard state in `record`, or a reason it is not a valid record. */
function decodeHardStateRecord(record: Uint8Array): HardState | string {
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  if (view.getUint32(0, true) !== hardStateMagic) return "bad magic";
  if (crc32c(record.subarray(checksummedFrom)) !== view.getUint32(4, true)) return "checksum mismatch";
  const term = view.getFloat64(8, true);
  const commit = view.getFloat64(16, true);
  if (!Number.isSafeInteger(term) || term < 0 || !Number.isSafeInteger(commit) || commit < 0) return "term or commit not an index";
  if (view.getUint32(28, true) !== 0) return "reserved bytes set";
  return { term, commit, vote: view.getUint32(24, true) };
}

export class HardStateFile {
  private constructor(
    private readonly filePath: string,
    private fd: number,
    private recordCount: number,
    private readonly durable: boolean,
  ) {}

  /** Opens (creating when missing) and returns the newest durable hard state. */
  static open(filePath: string, durable: boolean): { file: HardStateFile; hardState: HardState } {
    if (!fs.existsSync(filePath)) replaceFileAtomically(filePath, [], durable);
    const bytes = fs.readFileSync(filePath);
    const { hardState, validRecords } = recoverRecords(filePath, bytes);
    const fd = fs.openSync(filePath, "r+");
    if (validRecords * hardStateRecordBytes !== bytes.length) {
      fs.ftruncateSync(fd, validRecords * hardStateRecordBytes);
      if (durable) fs.fdatasyncSync(fd);
    }
    return { file: new HardStateFile(filePath, fd, validRecords, durable), hardState };
  }

  /** Makes `hardState` the newest one; durable on return when `sync` (and the store is durable). */
  write(hardState: HardState, sync: boolean): void {
    const record = encodeHardStateRecord(hardState);
    if (this.recordCount >= hardStateRecordsPerFileMax) {
      fs.closeSync(this.fd);
      replaceFileAtomically(this.filePath, [record], this.durable);
      this.fd = fs.openSync(this.filePath, "r+");
      this.recordCount = 1;
      return;
    }
    writeFully(this.fd, record, 0, record.length, this.recordCount * hardStateRecordBytes);
    if (this.durable && sync) fs.fdatasyncSync(this.fd);
    this.recordCount += 1;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/** What a pass over the hard-state file's records found (pure: open and `filestore check` share it). */
interface HardStateScan {
  /** The newest valid record's hard state (the empty one when there is none). */
  hardState: HardState;
  /** Records kept: the rest is a trailing partial or all-zero record, cut at open. */
  validRecords: number;
  /** Records that fail their checks; open refuses the file at the first. */
  problems: Array<{ position: number; offset: number; reason: string }>;
}

export function scanHardStateRecords(bytes: Uint8Array): HardStateScan {
  const fullRecords = Math.floor(bytes.length / hardStateRecordBytes);
  const scan: HardStateScan = { hardState: emptyHardState, validRecords: fullRecords, problems: [] };
  for (let position = 0; position < fullRecords; position++) {
    const offset = position * hardStateRecordBytes;
    const record = bytes.subarray(offset, offset + hardStateRecordBytes);
    const isLast = position === fullRecords - 1;
    if (isLast && record.every((byte) => byte === 0)) {
      scan.validRecords = position;
      break;
    }
    const decoded = decodeHardStateRecord(record);
    if (typeof decoded === "string") scan.problems.push({ position, offset, reason: decoded });
    else scan.hardState = decoded;
  }
  return scan;
}

function recoverRecords(filePath: string, bytes: Uint8Array): { hardState: HardState; validRecords: number } {
  const scan = scanHardStateRecords(bytes);
  const first = scan.problems[0];
  if (first === undefined) return scan;
  throw new RaftStorageCorruptError(filePath, `record ${first.position} at offset ${first.offset}: ${first.reason}`);
}
