/**
 * The committed TypeScript in schemas/generated/ must be exactly what scripts/generate-schema.sh
 * produces from schemas/filestore.fbs (CI installs flatc; without it this test says so and skips).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const root = join(import.meta.dir, "..", "..");
const committed = join(root, "schemas", "generated");
const flatcPresent = Bun.which("flatc") !== null;
const temporary = mkdtempSync(join(tmpdir(), "filestore-schema-"));

afterAll(() => rmSync(temporary, { recursive: true, force: true }));

function filesUnder(directory: string): string[] {
  return readdirSync(directory, { recursive: true, encoding: "utf8" })
    .filter((name) => statSync(join(directory, name)).isFile())
    .sort();
}

describe("generated schema code", () => {
  if (!flatcPresent) console.warn("SKIPPED generated-schema check: flatc is not installed (apt-get install -y flatbuffers-compiler)");

  test.skipIf(!flatcPresent)("matches what the script regenerates", () => {
    const run = Bun.spawnSync([join(root, "scripts", "generate-schema.sh"), temporary], { stderr: "pipe" });
    expect(run.stderr.toString()).toBe("");
    expect(run.exitCode).toBe(0);
    const regenerated = filesUnder(temporary);
    expect(regenerated).toEqual(filesUnder(committed));
    for (const name of regenerated) {
      const path = relative(temporary, join(temporary, name));
      expect({ path, text: readFileSync(join(temporary, name), "utf8") })
        .toEqual({ path, text: readFileSync(join(committed, name), "utf8") });
    }
  });
});
