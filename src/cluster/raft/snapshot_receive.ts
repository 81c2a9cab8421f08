/**
 * A follower's side of InstallSnapshot in chunks (§5.2, Figure 5.3): chunks of one
 * snapshot must arrive in order from offset 0; anything else is answered with the offset
 * we hold so the leader resumes there (lost, duplicated or reordered chunks are harmless).
 */
import type { SnapshotChunk, SnapshotMetadata } from "./types.ts";

export interface SnapshotReceive {
  metadata: SnapshotMetadata;
  chunks: Uint8Array[];
  receivedBytes: number;
  totalBytes: number;
}

type ChunkOutcome =
  | { kind: "progress"; receivedBytes: number }
  | { kind: "complete"; data: Uint8Array };

function sameSnapshot(receive: SnapshotReceive | undefined, chunk: SnapshotChunk): receive is SnapshotReceive {
  return (
    receive !== undefined &&
    receive.metadata.index === chunk.metadata.index &&
    receive.metadata.term === chunk.metadata.term &&
    receive.totalBytes === chunk.totalBytes
  );
}

/** Folds a chunk into `receive` (mutated or replaced); returns the new state and outcome. */
export function acceptChunk(
  receive: SnapshotReceive | undefined,
  chunk: SnapshotChunk,
): { receive: SnapshotReceive | undefined; outcome: ChunkOutcome } {
  let current = receive;
  if (chunk.offset === 0) {
    current = { metadata: chunk.metadata, chunks: [], receivedBytes: 0, totalBytes: chunk.totalBytes };
  }
  if (!sameSnapshot(current, chunk) || chunk.offset !== current.receivedBytes) {
    const held = sameSnapshot(current, chunk) ? current.receivedBytes : 0;
    return { receive: current, outcome: { kind: "progress", receivedBytes: held } };
  }
  current.chunks.push(chunk.chunk.slice());
  current.receivedBytes += chunk.chunk.length;
  if (!chunk.done) return { receive: current, outcome: { kind: "progress", receivedBytes: current.receivedBytes } };
  if (current.receivedBytes !== current.totalBytes) {
    return { receive: undefined, outcome: { kind: "progress", receivedBytes: 0 } };
  }
  const data = new Uint8Array(current.totalBytes);
  let offset = 0;
  for (const part of current.chunks) {
    data.set(part, offset);
    offset += part.length;
  }
  return { receive: undefined, outcome: { kind: "complete", data } };
}
