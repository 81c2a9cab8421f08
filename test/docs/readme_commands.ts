/**
 * Reads the shell commands a README section shows: every line of its ```sh blocks, without the
 * trailing `# comment`, in order. A section runs from its `## ` heading to the next one.
 */

export function sectionCommands(markdown: string, heading: string): string[] {
  const lines = markdown.split("\n");
  const start = lines.indexOf(`## ${heading}`);
  if (start < 0) throw new Error(`README has no "## ${heading}" section`);
  const commands: string[] = [];
  let inShellBlock = false;
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith("## ")) break;
    if (line.startsWith("```")) {
      inShellBlock = !inShellBlock && line.trim() === "```sh";
      continue;
    }
    // A comment starts at a `#` after whitespace; the Quick start has no `#` inside a word or quotes.
    const command = line.replace(/(^|\s+)#.*$/, "").trim();
    if (inShellBlock && command !== "") commands.push(command);
  }
  return commands;
}
