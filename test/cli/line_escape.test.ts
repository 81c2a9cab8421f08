/** Escaping of keys and values printed by the CLI, so every entry stays on one line. */
import { expect, test } from "bun:test";
import { escapeForLine } from "../../src/cli/line_escape.ts";

const bytes = (...values: number[]) => Uint8Array.from(values);
const text = (value: string) => new TextEncoder().encode(value);

test("printable ASCII and UTF-8 text pass through", () => {
  expect(escapeForLine(text("orders/u123/2026-11-25"))).toBe("orders/u123/2026-11-25");
  expect(escapeForLine(text("prix €, 東京, 🚀"))).toBe("prix €, 東京, 🚀");
  expect(escapeForLine(new Uint8Array(0))).toBe("");
});

test("separators and backslash are escaped so each entry stays on one line", () => {
  expect(escapeForLine(text("a\tb\nc\rd\\e"))).toBe("a\\tb\\nc\\rd\\\\e");
});

test("control bytes and invalid UTF-8 become \\xHH", () => {
  expect(escapeForLine(bytes(0x00, 0x41, 0x7f, 0x1b))).toBe("\\x00A\\x7f\\x1b");
  expect(escapeForLine(bytes(0xff, 0xfe))).toBe("\\xff\\xfe");
  expect(escapeForLine(bytes(0xc0, 0x80))).toBe("\\xc0\\x80"); // overlong NUL
  expect(escapeForLine(bytes(0xe2, 0x82))).toBe("\\xe2\\x82"); // truncated €
  expect(escapeForLine(bytes(0xed, 0xa0, 0x80))).toBe("\\xed\\xa0\\x80"); // surrogate
});

test("the output never contains a raw tab, newline or carriage return", () => {
  for (let byte = 0; byte < 256; byte++) {
    const escaped = escapeForLine(bytes(byte, 0x80, byte));
    expect(escaped).not.toMatch(/[\t\n\r]/);
  }
});
