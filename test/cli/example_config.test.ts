/**
 * filestore.example.toml documents every setting: it names exactly the settings of the table
 * (src/config/settings.ts), each with its default value and a comment saying what it means, so
 * a setting added without an example line, or a default changed in one place only, fails here.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { settings } from "../../src/config/settings.ts";

const examplePath = join(import.meta.dir, "../../filestore.example.toml");
const exampleText = await Bun.file(examplePath).text();
/** A `key = value` line of the file, as opposed to comments and blank lines. */
const keyLinePattern = /^([A-Za-z0-9_-]+)\s*=/;

test("the example names every setting of the table, and nothing else", () => {
  const keys = Object.keys(Bun.TOML.parse(exampleText) as Record<string, unknown>);
  expect(keys.toSorted()).toEqual(settings.map((setting) => setting.name).toSorted());
});

test("each setting is written with its default value", () => {
  const example = Bun.TOML.parse(exampleText) as Record<string, unknown>;
  const defaults = Object.fromEntries(settings.map((setting) => [setting.name, setting.default]));
  expect(example).toEqual(defaults);
});

test("each setting's line follows a comment that explains it", () => {
  const lines = exampleText.split("\n");
  const undocumented: string[] = [];
  lines.forEach((line, index) => {
    const key = keyLinePattern.exec(line)?.[1];
    if (key !== undefined && !(lines[index - 1] ?? "").startsWith("#")) undocumented.push(key);
  });
  expect(undocumented).toEqual([]);
});
