/**
 * The newest Raft snapshot in one file, replaced atomically (temporary name, fdatasync,
 * rename, directory fsync), so a crash leaves the old snapshot or the new one.
 *
 * Layout (little endian):
 *   offset 0   u32 magic            snapshotMagic
 *   offset 4   u32 checksum         CRC32C of every byte from offset 8 to the end
 *   offset 8   f64 index
 *   offset 16  f64 term
 *   offset 24  u32 confStateBytes   length of the membership that follows the header
 *   offset 28  u32 reserved, zero
 *   offset 32  membership           encodeConfState (src/cluster/raft/config_entry.ts)
 *   then       data                 the state-machine image, to the end of the file
 * A missing file means no snapshot yet (index 0, term 0, the initial membership). A file that
 * fails any check is RaftStorageCorruptError: a snapshot is never guessed.
 */
import fs from "node:fs";
import { crc32c } from "@node-rs/crc32";
import { decodeConfState, encodeConfState } from "../raft/config_entry.ts";
import type { ConfState, Snapshot } from "../raft/types.ts";
import { AssertionError } from "../../util/assert.ts";
import { RaftStorageCorruptError } from "./types.ts";
import { replaceFileAtomically } from "../../util/durable_file.ts";

const snapshotMagic = 0x31504e53;
const headerBytes = 32;
const checksummedFrom = 8;

export function writeSnapshotFile(filePath: string, snapshot: Snapshot, durable: boolean): void {
  const { index, term, confState } = snapshot.metadata;
  const membership = encodeConfState(confState);
  const header = new Uint8Array(headerBytes);
  const view = new DataView(header.buffer);
  view.setUint32(0, snapshotMagic, true);
  view.setFloat64(8, index, true);
  view.setFloat64(16, term, true);
  view.setUint32(24, membership.length, true);
  let checksum = crc32c(header.subarray(checksummedFrom));
  checksum = crc32c(membership, checksum);
  checksum = crc32c(snapshot.data, checksum);
  view.setUint32(4, checksum, true);
  replaceFileAtomically(filePath, [header, membership, snapshot.data], durable);
}

/** The stored snapshot, or an empty one at index 0 with `initialConfState` when there is none. */
export function readSnapshotFile(filePath: string, initialConfState: ConfState): Snapshot {
  if (!fs.existsSync(filePath)) {
    return { metadata: { index: 0, term: 0, confState: initialConfState }, data: new Uint8Array(0) };
  }
  const bytes = new Uint8Array(fs.readFileSync(filePath));
  const corrupt = (reason: string) => new RaftStorageCorruptError(filePath, reason);
  if (bytes.length < headerBytes) throw corrupt(`${bytes.length} bytes, shorter than the header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== snapshotMagic) throw corrupt("bad magic");
  if (crc32c(bytes.subarray(checksummedFrom)) !== view.getUint32(4, true)) throw corrupt("checksum mismatch");
  const index = view.getFloat64(8, true);
  const term = view.getFloat64(16, true);
  const membershipBytes = view.getUint32(24, true);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(term) || index < 0 || term < 0) throw corrupt("index or term not an integer");
  if (headerBytes + membershipBytes > bytes.length) throw corrupt("membership overruns the file");
  const confState = decodeMembership(bytes.subarray(headerBytes, headerBytes + membershipBytes), corrupt);
  return { metadata: { index, term, confState }, data: bytes.subarray(headerBytes + membershipBytes) };
}

function decodeMembership(bytes: Uint8Array, corrupt: (reason: string) => Error): ConfState {
  try {
    return decodeConfState(bytes);
  } catch (error) {
    if (error instanceof AssertionError) throw corrupt(`membership: ${error.message}`);
    throw error;
  }
}
