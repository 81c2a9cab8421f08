/**
 * Which replicas a node holds, on disk: one folder per replica, DATA/shards/s<shard>-r<replica>,
 * holding its engine. The shared log knows groups (shard ids) but not which member of a group
 * this node is; the folder's name records it, so a restart knows its replica ids before the
 * coordinator's state is caught up.
 *
 * Order of creation and removal (so a crash between two steps leaves something recoverable):
 * the folder is made (and its parent synced) before the group's storage; it is removed before
 * the group's records. So after a crash, a folder without its group is a replica being created
 * (recreated empty); a group without its folder is one being removed (dropped at start).
 */
import { mkdir, open, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { NodeId } from "../raft/types.ts";

interface ReplicaFolder {
  readonly shard: number;
  /** This node's member id in the shard's group. */
  readonly replica: NodeId;
}

const folderPattern = /^s([1-9][0-9]{0,9})-r([1-9][0-9]{0,9})$/;

function shardsDir(dataDir: string): string {
  return join(dataDir, "shards");
}

function replicaFolderPath(dataDir: string, folder: ReplicaFolder): string {
  return join(shardsDir(dataDir), `s${folder.shard}-r${folder.replica}`);
}

/** The replica folders present, by shard; a name of another shape is ignored (and logged by the caller). */
export async function listReplicaFolders(dataDir: string): Promise<{ folders: ReplicaFolder[]; strays: string[] }> {
  let names: string[];
  try {
    names = await readdir(shardsDir(dataDir));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { folders: [], strays: [] };
    throw error;
  }
  const folders: ReplicaFolder[] = [];
  const strays: string[] = [];
  for (const name of names.sort()) {
    const match = folderPattern.exec(name);
    if (match === null) strays.push(name);
    else folders.push({ shard: Number(match[1]), replica: Number(match[2]) });
  }
  return { folders, strays };
}

/** Makes the folder durably (its entry synced in the parent); returns its path. */
export async function createReplicaFolder(dataDir: string, folder: ReplicaFolder): Promise<string> {
  const path = replicaFolderPath(dataDir, folder);
  await mkdir(path, { recursive: true });
  await syncDirectory(shardsDir(dataDir));
  return path;
}

export async function removeReplicaFolder(dataDir: string, folder: ReplicaFolder): Promise<void> {
  await rm(replicaFolderPath(dataDir, folder), { recursive: true, force: true });
  await syncDirectory(shardsDir(dataDir));
}

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
