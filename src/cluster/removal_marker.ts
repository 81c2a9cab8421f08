/**
 * The file DATA/removed: written durably when a node learns it was removed from its group, so
 * that a restart on the same data refuses to start (as etcd refuses a removed member) instead of
 * running as a node that still believes it is a member. Its content is one JSON object, the
 * NodeRemoval, for the line the refusal prints. Only a new data folder (and `cluster add-node`
 * with `serve --join`) brings the node back.
 */
import fs from "node:fs";
import { join } from "node:path";
import { replaceFileAtomically } from "../util/durable_file.ts";
import { removalNotice, type NodeRemoval } from "./node_removal.ts";

const markerFileName = "removed";

/** `serve` on the data folder of a removed node (exit code 8). */
export class NodeRemovedError extends Error {
  override name = "NodeRemovedError";
}

export function writeRemovalMarker(dataDir: string, removal: NodeRemoval): void {
  fs.mkdirSync(dataDir, { recursive: true });
  const text = `${JSON.stringify(removal)}\n`;
  replaceFileAtomically(join(dataDir, markerFileName), [new TextEncoder().encode(text)], true);
}

/** Throws NodeRemovedError when `dataDir` holds a removal marker. */
export function refuseStartIfRemoved(dataDir: string): void {
  const path = join(dataDir, markerFileName);
  if (!fs.existsSync(path)) return;
  let why = "this node was removed from its group";
  try {
    why = removalNotice(JSON.parse(fs.readFileSync(path, "utf8")) as NodeRemoval);
  } catch {
    // An unreadable marker still marks a removed node; the generic line says so.
  }
  const remedy = "start it with `serve --join` on a new data folder, then add it with `filestore cluster add-node`";
  throw new NodeRemovedError(`${why}; it does not start again on ${dataDir}: ${remedy}`);
}
