/**
 * The published client as a Node.js project sees it (run by `npm run test:node` only, after
 * scripts/build_client.ts; the name has no .test so `bun test` leaves it out): the package's
 * name resolves to dist/client/index.js, and its declarations type-check a TypeScript consumer
 * that resolves modules the strict Node way (NodeNext, skipLibCheck off), catching misuse.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { repositoryRoot } from "../portable/filestore_process.ts";

const consumerSource = `
import { connect, FileStoreError, type ClientOptions, type FileStore, type FileStoreErrorCode } from "filestore";
const options: ClientOptions = { timeoutMs: 500, cluster: true };
export async function use(): Promise<void> {
  const db: FileStore = await connect(["127.0.0.1:7400", "127.0.0.1:7410"], options);
  const value: Uint8Array | null = await db.get("k", { consistency: "bounded", maxStalenessMs: 50 });
  const { version }: { version: bigint } = await db.put("k", value ?? "v", { timeoutMs: 100 });
  for await (const entry of db.scan({ prefix: "k", limit: 10 })) console.log(entry.key, entry.version + version);
  // @ts-expect-error: not a consistency level
  await db.get("k", { consistency: "linearizable" });
  // @ts-expect-error: consistency is for reads
  await db.put("k", "v", { consistency: "eventual" });
  await db.close();
}
export function codeOf(error: unknown): FileStoreErrorCode | null {
  return error instanceof FileStoreError ? error.code : null;
}
`;

const consumerConfig = {
  compilerOptions: {
    module: "nodenext", moduleResolution: "nodenext", target: "es2022", strict: true,
    skipLibCheck: false, noEmit: true, types: [],
  },
  files: ["main.ts"],
};

test("the package's name resolves to the compiled client for Node", async () => {
  const root = repositoryRoot();
  const resolved = import.meta.resolve("filestore");
  assert.equal(fileURLToPath(resolved), join(root, "dist", "client", "index.js"));
  const client = await import("filestore");
  assert.equal(typeof client.connect, "function");
});

test("the declarations type-check a NodeNext consumer and catch misuse", () => {
  const root = repositoryRoot();
  const consumer = mkdtempSync(join(tmpdir(), "filestore-consumer-"));
  try {
    writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", type: "module" }));
    writeFileSync(join(consumer, "tsconfig.json"), JSON.stringify(consumerConfig));
    writeFileSync(join(consumer, "main.ts"), consumerSource);
    mkdirSync(join(consumer, "node_modules"));
    symlinkSync(root, join(consumer, "node_modules", "filestore"), "dir");
    const tsc = spawnSync(join(root, "node_modules", ".bin", "tsc"), ["-p", consumer], { encoding: "utf8" });
    assert.equal(`${tsc.stdout}${tsc.stderr}`, "");
    assert.equal(tsc.status, 0);
  } finally {
    rmSync(consumer, { recursive: true, force: true });
  }
});
