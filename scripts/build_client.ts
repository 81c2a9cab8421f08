/**
 * Builds the client for Node.js (and any other runtime that is not Bun, which uses
 * src/client/index.ts as it is): dist/client/index.js, one ES module with the dependencies
 * (flatbuffers, hyperid) left as imports, and its type declarations beside it. The published
 * declarations are index.d.ts and the files it imports (errors.d.ts, types.d.ts): this script
 * copies that closure out of tsc's output and fails if it reaches a file outside src/client or
 * imports one without its extension (a consumer resolving with NodeNext could not follow it).
 * With --node-tests it also bundles the client's suites for Node (test/client/portable/, the
 * node:net socket cases and test/client/node/) into dist/node-test/, importing the client by
 * the package's name, so `node --test` runs them against dist/client/index.js.
 * Usage: bun scripts/build_client.ts [--node-tests]   (npm run build:client, npm run test:node)
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { basename, join } from "node:path";

const root = join(import.meta.dir, "..");
const outputFolder = join(root, "dist/client");
const declarationsFolder = join(root, "dist/client-declarations");
const nodeTestFolder = join(root, "dist/node-test");
const relativeImportPattern = /(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g;

async function bundle(entrypoints: string[], outdir: string): Promise<void> {
  const result = await Bun.build({
    entrypoints, outdir, target: "node", format: "esm", packages: "external", naming: "[name].js",
  });
  if (!result.success) throw new Error(`bun build failed:\n${result.logs.join("\n")}`);
}

function emitDeclarations(): void {
  rmSync(declarationsFolder, { recursive: true, force: true });
  const tsc = join(root, "node_modules/.bin/tsc");
  const run = spawnSync(tsc, ["-p", join(root, "tsconfig.client.json")], { cwd: root, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`tsc (declarations) failed:\n${run.stdout}${run.stderr}`);
}

/** Copies index.d.ts and every declaration it reaches into dist/client, checking each import. */
function copyPublicDeclarations(): void {
  const sourceFolder = join(declarationsFolder, "src/client");
  const pending = ["index.d.ts"];
  const copied = new Set<string>();
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (copied.has(name)) continue;
    copied.add(name);
    const text = readFileSync(join(sourceFolder, name), "utf8");
    for (const [, specifier] of text.matchAll(relativeImportPattern)) {
      if (!specifier!.startsWith("./") || !specifier!.endsWith(".ts") || specifier!.slice(2).includes("/")) {
        const rule = "the public declarations must import ./<file>.ts beside them";
        throw new Error(`dist/client/${name} imports "${specifier}": ${rule}`);
      }
      pending.push(specifier!.slice(2, -".ts".length) + ".d.ts");
    }
    copyFileSync(join(sourceFolder, name), join(outputFolder, name));
  }
  rmSync(declarationsFolder, { recursive: true, force: true });
}

/** Files of `folder` (under the root) whose names end with `suffix`. */
function filesEndingWith(folder: string, suffix: string): string[] {
  const names = readdirSync(join(root, folder)).filter((name) => name.endsWith(suffix));
  return names.map((name) => join(root, folder, name));
}

function nodeTestEntries(): string[] {
  return [
    ...filesEndingWith("test/client/portable", ".test.ts"),
    join(root, "test/client/transport/node_socket.test.ts"),
    ...filesEndingWith("test/client/node", ".node.ts"),
  ];
}

rmSync(outputFolder, { recursive: true, force: true });
mkdirSync(outputFolder, { recursive: true });
await bundle([join(root, "src/client/index.ts")], outputFolder);
emitDeclarations();
copyPublicDeclarations();
if (process.argv.includes("--node-tests")) {
  rmSync(nodeTestFolder, { recursive: true, force: true });
  const entries = nodeTestEntries();
  await bundle(entries, nodeTestFolder);
  const built = entries.map((entry) => join(nodeTestFolder, basename(entry).replace(/\.ts$/, ".js")));
  const missing = built.filter((file) => !existsSync(file));
  if (missing.length > 0) throw new Error(`bundled tests missing: ${missing.join(", ")}`);
}
