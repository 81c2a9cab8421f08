/** The partition rule (src/cluster/placement/partition_key.ts): the key up to its second `/`, as bytes, not copied. */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { partitionKeyLength, partitionKeyOf } from "../../../src/cluster/placement/partition_key.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function partitionOf(key: string): string {
  return decoder.decode(partitionKeyOf(encoder.encode(key)));
}

describe("partition key", () => {
  test("is the key up to, not including, its second /", () => {
    expect(partitionOf("orders/u123/2026-12-07/o9")).toBe("orders/u123");
    expect(partitionOf("orders/u123/o9")).toBe("orders/u123");
  });

  test("is the whole key when it has fewer than two /", () => {
    expect(partitionOf("orders/u123")).toBe("orders/u123");
    expect(partitionOf("orders")).toBe("orders");
    expect(partitionOf("")).toBe("");
  });

  test("edge cases: trailing /, leading /, empty segments", () => {
    expect(partitionOf("a/b/")).toBe("a/b");
    expect(partitionOf("/orders/u123")).toBe("/orders");
    expect(partitionOf("/orders")).toBe("/orders");
    expect(partitionOf("orders//o9")).toBe("orders/");
    expect(partitionOf("//o9")).toBe("/");
    expect(partitionOf("//")).toBe("/");
    expect(partitionOf("/")).toBe("/");
    expect(partitionOf("a/")).toBe("a/");
  });

  test("works on bytes: multi-byte UTF-8 and non-UTF-8 bytes pass untouched, only 0x2F separates", () => {
    expect(partitionOf("café/ü/x")).toBe("café/ü");
    const key = Uint8Array.of(0xff, 0x2f, 0x00, 0xaf, 0x2f, 0x41);
    expect(partitionKeyLength(key)).toBe(4);
    expect([...partitionKeyOf(key)]).toEqual([0xff, 0x2f, 0x00, 0xaf]);
  });

  test("is a view of the key's bytes, not a copy", () => {
    const key = encoder.encode("orders/u123/o9");
    const partition = partitionKeyOf(key);
    expect(partition.buffer).toBe(key.buffer);
    expect(partition.byteOffset).toBe(key.byteOffset);
    expect(partition.length).toBe("orders/u123".length);
  });

  test("agrees with splitting the text on / (property)", () => {
    const segment = fc.string({ unit: fc.constantFrom("a", "b", "é", "/", "-"), maxLength: 12 });
    fc.assert(fc.property(segment, (key) => {
      const parts = key.split("/");
      const expected = parts.length > 2 ? parts.slice(0, 2).join("/") : key;
      expect(partitionOf(key)).toBe(expected);
    }));
  });

  test("every key of a partition has the same partition key (property)", () => {
    const text = fc.string({ unit: fc.constantFrom("a", "b", "-"), maxLength: 8 });
    fc.assert(fc.property(text, text, text, fc.string({ maxLength: 16 }), (collection, owner, rest, more) => {
      const partition = `${collection}/${owner}`;
      expect(partitionOf(`${partition}/${rest}`)).toBe(partition);
      expect(partitionOf(`${partition}/${rest}/${more}`)).toBe(partition);
    }));
  });
});
