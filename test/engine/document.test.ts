/** msgpack documents: fields read by path from a stored value, typed errors for bad bytes. */
import { describe, expect, test } from "bun:test";
import { Document } from "../../src/engine/document.ts";
import { EngineError } from "../../src/engine/errors.ts";
import { bytes, temporaryFolder, memoryHarness } from "./helpers.ts";

describe("msgpack documents", () => {
  test("fields are read by path from a stored value, decoded once", async () => {
    await using folder = await temporaryFolder();
    const engine = await memoryHarness(folder.path).open();
    const order = { id: "o991", user: "u123", legs: [{ symbol: "EURUSD", quantity: 2_000_000 }], filled: false };
    await engine.apply({ op: "put", key: bytes("orders/u123/o991"), value: Document.encode(order) });
    const document = new Document(engine.get(bytes("orders/u123/o991"))!.value);
    expect(document.field(["user"])).toBe("u123");
    expect(document.field(["legs", 0, "quantity"])).toBe(2_000_000);
    expect(document.field(["legs", 3, "symbol"])).toBeUndefined();
    expect(document.field(["missing", "deeper"])).toBeUndefined();
    expect(document.field(["toString"])).toBeUndefined();
    expect(document.root()).toEqual(order);
    expect(document.root()).toBe(document.root());
    await engine.close();
  });

  test("bytes that are not msgpack give a typed error on first access", () => {
    const document = new Document(new Uint8Array([0xc1]));
    expect(() => document.root()).toThrow(EngineError);
    const truncated = new Document(Document.encode({ name: "a long enough string" }).subarray(0, 5));
    expect(() => truncated.field(["name"])).toThrow(EngineError);
  });
});
