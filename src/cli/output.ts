/** Writing to stdout and stderr so that pipes receive every byte before the process exits. */

export async function writeStdout(data: string | Uint8Array): Promise<void> {
  await Bun.write(Bun.stdout, data);
}

/** One error line on stderr: `filestore: <message>`, whatever newlines the message held. */
export async function writeErrorLine(message: string): Promise<void> {
  const oneLine = message.replace(/\s*\n\s*/g, "; ").trim();
  await Bun.write(Bun.stderr, `filestore: ${oneLine}\n`);
}

/** Every byte of stdin (for `put KEY -`). */
export async function readStdin(): Promise<Uint8Array> {
  return new Uint8Array(await Bun.stdin.arrayBuffer());
}
