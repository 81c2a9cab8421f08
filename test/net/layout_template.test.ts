/** The word-wise template check against a byte-by-byte comparison, over any span, offset and one-byte change. */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { LayoutTemplate } from "../../src/net/layout_template";

function naiveMatches(template: Uint8Array, frame: Uint8Array, start: number, from: number, to: number): boolean {
  for (let position = from; position < to; position++) if (frame[start + position] !== template[position]) return false;
  return true;
}

describe("layout template", () => {
  test("matches exactly when every byte of the span equals the template's", () => {
    const input = fc.record({
      template: fc.uint8Array({ minLength: 1, maxLength: 40 }),
      start: fc.integer({ min: 0, max: 9 }),
      span: fc.tuple(fc.nat(), fc.nat()),
      change: fc.option(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 }))),
    });
    fc.assert(fc.property(input, ({ template, start, span, change }) => {
      const from = span[0] % (template.length + 1);
      const to = from + (span[1] % (template.length - from + 1));
      const frame = new Uint8Array(start + template.length + 3).fill(0x5a);
      frame.set(template, start);
      if (change !== null) {
        const position = start + (change[0] % template.length);
        frame[position] = frame[position]! ^ change[1];
      }
      expect(new LayoutTemplate(template).matches(frame, start, from, to)).toBe(naiveMatches(template, frame, start, from, to));
    }), { numRuns: 2000 });
  });
});
