/** Runs every transcript in test/raft/transcripts/ (see transcript_runner.ts for the format). */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatTranscript, parseTranscript, TranscriptSession } from "./transcript_runner.ts";

const directory = join(import.meta.dir, "transcripts");
const rewrite = process.env.REWRITE_TRANSCRIPTS === "1";

for (const file of readdirSync(directory).filter((name) => name.endsWith(".txt")).sort()) {
  test(`transcript ${file}`, () => {
    const path = join(directory, file);
    const blocks = parseTranscript(readFileSync(path, "utf8"));
    const session = new TranscriptSession();
    const outputs = blocks.map((block) => session.run(block.command));
    if (rewrite) writeFileSync(path, formatTranscript(blocks, outputs));
    else for (const [index, block] of blocks.entries()) expect(`${block.command}\n${outputs[index]}`).toBe(`${block.command}\n${block.expected}`);
  });
}
