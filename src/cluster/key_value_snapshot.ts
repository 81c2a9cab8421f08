/**
 * The key-value machine's snapshot format, owned here alone: every snapshot a key-value replica
 * takes is encoded by encodeKeyValueSnapshot, and every one it reads (its own Raft storage's at
 * start, key_value_start.ts; a leader's, KeyValueMachine.restore) is decoded and checked by
 * decodeKeyValueSnapshot. It is the `data` of a Raft snapshot (§5), which a leader streams to a
 * lagging follower in chunks.
 *
 * Layout: one msgpack array of five elements,
 *   [0] format version  1 (keyValueSnapshotVersion)
 *   [1] applied index   a safe integer >= 0: the Raft index the snapshot is of
 *   [2] engine chunks   an array of byte strings: the engine's snapshot stream, in its own layout
 *                       with its own CRC32C and version per chunk (src/engine/snapshot.ts): one
 *                       header chunk, any entries chunks, one end chunk
 *   [3] sessions        a byte string: the session table (session_table.ts)
 *   [4] members         an array of [id, client, admin, peer, name]: member addresses, id a
 *                       positive safe integer, the rest strings (snapshots taken before member
 *                       names have no name)
 *
 * Validity: exactly that shape, of a known version; every engine chunk passes its own checks
 * (length, checksum, magic, version, kind); the stream starts with a header chunk whose Raft
 * index is at most the applied index and ends with an end chunk; the session table decodes.
 * Anything else is refused with a KeyValueSnapshotError before any state changes: UNKNOWN_VERSION
 * for a version this code does not know (never read as if it were another), MALFORMED for the
 * rest. The whole is checksummed again by the Raft storage on disk and the peer transport on the
 * wire, so a refusal means a bug or a node of another version, not a flipped bit.
 * Recovery: none here; a refused snapshot stops the replica's install (the replica fails with the
 * reason) or its start. A new version gets its decoder here before anything writes it.
 */
import { Encoder } from "@msgpack/msgpack";
import { ChunkKind, checkSnapshotChunk, decodeSnapshotChunk } from "../engine/snapshot.ts";
import type { MemberAddresses } from "./entry_payload_codec.ts";
import { formatNodeId, rememberMemberName } from "./node_id.ts";
import type { NodeId } from "./raft/types.ts";
import { SessionTable, SessionTableFormatError } from "./session_table.ts";
import { boundedDecoder } from "../util/bounded_decoder.ts";

export const keyValueSnapshotVersion = 1;
const fieldCount = 5;

export class KeyValueSnapshotError extends Error {
  override name = "KeyValueSnapshotError";
  constructor(
    readonly code: "UNKNOWN_VERSION" | "MALFORMED",
    message: string,
  ) {
    super(`key-value snapshot: ${message}`);
  }
}

/** One member in a snapshot: id, client, admin and peer address, and (since names exist) its name. */
type MemberTuple = [NodeId, string, string, string, string?];

/** What a snapshot is made of, as encodeKeyValueSnapshot takes it. */
interface KeyValueSnapshotParts {
  appliedIndex: number;
  engineChunks: Uint8Array[];
  /** The session table, encoded (SessionTable.encode) when the picture was taken. */
  sessions: Uint8Array;
  members: MemberTuple[];
}

/** A snapshot as decoded and checked. */
export interface KeyValueSnapshot {
  appliedIndex: number;
  /** The Raft index of the engine's picture (its stream's header): at most appliedIndex. */
  engineIndex: number;
  engineChunks: Uint8Array[];
  sessions: SessionTable;
  members: MemberTuple[];
}

export function encodeKeyValueSnapshot(parts: KeyValueSnapshotParts): Uint8Array {
  const fields = [keyValueSnapshotVersion, parts.appliedIndex, parts.engineChunks, parts.sessions, parts.members];
  return new Encoder().encode(fields);
}

/** Decodes and checks a snapshot (the validity rule above); throws KeyValueSnapshotError. */
export function decodeKeyValueSnapshot(data: Uint8Array): KeyValueSnapshot {
  let fields: unknown;
  try {
    fields = boundedDecoder(data.length).decode(data);
  } catch (error) {
    throw malformed(`not msgpack (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!Array.isArray(fields) || fields.length === 0) throw malformed("not an array of fields");
  if (fields[0] !== keyValueSnapshotVersion) {
    const reason = `format version ${String(fields[0])}, this node reads ${keyValueSnapshotVersion}`;
    throw new KeyValueSnapshotError("UNKNOWN_VERSION", reason);
  }
  if (fields.length !== fieldCount) throw malformed(`${fields.length} fields, not ${fieldCount}`);
  const [, appliedIndex, engineChunks, sessions, members] = fields as unknown[];
  if (!Number.isSafeInteger(appliedIndex) || (appliedIndex as number) < 0) throw malformed("bad applied index");
  const engineIndex = checkEngineStream(engineChunks, appliedIndex as number);
  if (!(sessions instanceof Uint8Array)) throw malformed("session table is not bytes");
  checkMembers(members);
  return {
    appliedIndex: appliedIndex as number,
    engineIndex,
    engineChunks: engineChunks as Uint8Array[],
    sessions: decodeSessions(sessions),
    members: members as MemberTuple[],
  };
}

/** A member table as a snapshot holds it. */
export function memberTuples(members: ReadonlyMap<NodeId, MemberAddresses>): MemberTuple[] {
  return [...members].map(([id, a]) => [id, a.clientAddress, a.adminAddress, a.peerAddress, formatNodeId(id)]);
}

/** Fills a member table (and the names node_id.ts prints) from a decoded snapshot's member tuples. */
export function restoreMembers(into: Map<NodeId, MemberAddresses>, members: MemberTuple[]): void {
  for (const [node, clientAddress, adminAddress, peerAddress, name] of members) {
    into.set(node, { clientAddress, adminAddress, peerAddress });
    if (name !== undefined) rememberMemberName(name, node);
  }
}

function malformed(reason: string): KeyValueSnapshotError {
  return new KeyValueSnapshotError("MALFORMED", reason);
}

/** Checks every chunk's frame and the stream's shape; returns the header's Raft index. */
function checkEngineStream(chunks: unknown, appliedIndex: number): number {
  if (!Array.isArray(chunks) || chunks.length < 2) throw malformed("engine stream without a header and an end chunk");
  const kinds: number[] = [];
  for (const chunk of chunks as unknown[]) {
    if (!(chunk instanceof Uint8Array)) throw malformed("an engine chunk is not bytes");
    try {
      kinds.push(checkSnapshotChunk(chunk));
    } catch (error) {
      throw malformed(`engine ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const entriesBetween = kinds.slice(1, -1).every((kind) => kind === ChunkKind.entries);
  if (kinds[0] !== ChunkKind.header || kinds.at(-1) !== ChunkKind.end || !entriesBetween) {
    throw malformed("engine stream is not one header, entries, one end");
  }
  const header = decodeSnapshotChunk(chunks[0] as Uint8Array);
  const engineIndex = header.kind === ChunkKind.header ? header.raftIndex : -1;
  if (!Number.isSafeInteger(engineIndex) || engineIndex < 0 || engineIndex > appliedIndex) {
    throw malformed(`engine picture at index ${engineIndex}, not within the snapshot's ${appliedIndex}`);
  }
  return engineIndex;
}

function checkMembers(members: unknown): void {
  if (!Array.isArray(members)) throw malformed("members are not an array");
  for (const member of members as unknown[]) {
    if (!Array.isArray(member) || (member.length !== 4 && member.length !== 5)) throw malformed("bad member");
    const [id, ...texts] = member as unknown[];
    if (!Number.isSafeInteger(id) || (id as number) <= 0) throw malformed("bad member id");
    if (texts.some((text) => typeof text !== "string")) throw malformed("bad member address or name");
  }
}

function decodeSessions(bytes: Uint8Array): SessionTable {
  try {
    return SessionTable.decode(bytes);
  } catch (error) {
    if (!(error instanceof SessionTableFormatError)) throw error;
    throw malformed(error.message);
  }
}
