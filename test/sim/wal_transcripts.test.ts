/** Runs every shared-log transcript in test/sim/transcripts/ (format: wal_transcript.ts). */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatTranscript, parseTranscript } from "../raft/transcript_runner.ts";
import { WalTranscript } from "./wal_transcript.ts";

const directory = join(import.meta.dir, "transcripts");
const rewrite = process.env.REWRITE_TRANSCRIPTS === "1";

for (const file of readdirSync(directory).filter((name) => name.endsWith(".txt")).sort()) {
  test(`shared-log transcript ${file}`, async () => {
    const path = join(directory, file);
    const blocks = parseTranscript(readFileSync(path, "utf8"));
    const session = new WalTranscript();
    const outputs: string[] = [];
    for (const block of blocks) outputs.push(await session.run(block.command));
    if (rewrite) writeFileSync(path, formatTranscript(blocks, outputs));
    if (rewrite) return;
    for (const [index, block] of blocks.entries()) {
      expect(`${block.command}\n${outputs[index]}`).toBe(`${block.command}\n${block.expected}`);
    }
  });
}
