/**
 * A model of a disk that keeps only what an fdatasync covered, for crash tests of the shared
 * log: `takeImage` (given as the log's onFsync) copies the live folder after every fdatasync of
 * the log; `crashCopy` builds the folder a crash would leave: the newest image, less the files
 * removed since (removals are durable at once: segment drops are followed by a directory fsync,
 * and an image removed without one is the worse case), optionally with a seeded part of what was
 * written to the newest segment since torn onto it.
 */
import fs from "node:fs";
import path from "node:path";

export class SyncedDisk {
  imagesTaken = 0;
  private readonly image: string;

  constructor(
    private readonly live: string,
    private readonly root: string,
  ) {
    this.image = path.join(root, "image");
  }

  readonly takeImage = (): void => {
    fs.rmSync(this.image, { recursive: true, force: true });
    fs.cpSync(this.live, this.image, { recursive: true });
    this.imagesTaken++;
  };

  /**
   * The crash folder (returned). With `random`, a seeded prefix of the newest segment's unsynced
   * bytes is torn onto it; `torn` says whether that prefix stops inside what was written.
   */
  crashCopy(random?: () => number): { dir: string; torn: boolean } {
    const crash = path.join(this.root, "crash");
    fs.rmSync(crash, { recursive: true, force: true });
    fs.cpSync(this.image, crash, { recursive: true });
    for (const folder of ["log", "snapshots"]) {
      for (const name of fs.readdirSync(path.join(crash, folder))) {
        if (!fs.existsSync(path.join(this.live, folder, name))) fs.rmSync(path.join(crash, folder, name));
      }
    }
    return { dir: crash, torn: random === undefined ? false : this.tearNewestSegment(crash, random) };
  }

  private tearNewestSegment(crash: string, random: () => number): boolean {
    const newest = fs.readdirSync(path.join(crash, "log")).filter((name) => name.endsWith(".log")).sort().at(-1);
    if (newest === undefined) return false;
    const synced = fs.statSync(path.join(crash, "log", newest)).size;
    const written = fs.readFileSync(path.join(this.live, "log", newest));
    if (written.length <= synced) return false;
    const torn = synced + 1 + Math.floor(random() * (written.length - synced - 1));
    fs.appendFileSync(path.join(crash, "log", newest), written.subarray(synced, torn));
    return torn < written.length;
  }
}
