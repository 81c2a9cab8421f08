/** Temporary directories for peers' data, always under os.tmpdir() and removed afterwards. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function makeTempDirectory(label: string): string {
  return mkdtempSync(join(tmpdir(), `filestore-bench-${label}-`));
}

export function removeTempDirectory(path: string): void {
  rmSync(path, { recursive: true, force: true });
}
