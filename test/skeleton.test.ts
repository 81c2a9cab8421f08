/**
 * The package's declared entries work: its own name resolves (through package.json "exports")
 * to the public client, and its "bin" entry runs the filestore program.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { connect, FileStoreError } from "filestore";
import pkg from "../package.json";

const repositoryRoot = join(import.meta.dir, "..");

test("the package's name resolves to the public client", async () => {
  const failure = await connect([]).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(FileStoreError);
  expect((failure as FileStoreError).code).toBe("INVALID_REQUEST");
});

test("the package's bin entry runs the filestore program", async () => {
  const child = Bun.spawn([join(repositoryRoot, pkg.bin.filestore), "--version"], { stdout: "pipe" });
  const [output, exitCode] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  expect({ output: output.trim(), exitCode }).toEqual({ output: `filestore ${pkg.version}`, exitCode: 0 });
});
