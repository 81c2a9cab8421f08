/** The client's table of requests in flight by id (a ring of slots), checked against a Map. */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { RequestSlots, requestSlotsCount } from "../../src/client/request_slots";

type Step = { op: "add"; gap: number } | { op: "delete"; pick: number } | { op: "get"; id: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  // Gaps near a multiple of the ring size make ids share slots with requests still waiting.
  { weight: 4, arbitrary: fc.record({ op: fc.constant("add" as const), gap: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constantFrom(requestSlotsCount, requestSlotsCount - 1, 2 * requestSlotsCount)) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("delete" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("get" as const), id: fc.integer({ min: 0, max: 10 * requestSlotsCount }) }) },
);

describe("request slots", () => {
  test("behave as a Map from id to request, lowest id first, whatever shares a slot", () => {
    fc.assert(fc.property(fc.array(step, { maxLength: 300 }), (steps) => {
      const model = new Map<number, { requestId: number }>();
      const slots = new RequestSlots<{ requestId: number }>();
      let nextId = 0;
      for (const item of steps) {
        if (item.op === "add") {
          nextId += item.gap;
          const request = { requestId: nextId };
          model.set(nextId, request);
          slots.add(request);
        } else if (item.op === "delete") {
          const ids = [...model.keys()];
          const id = ids.length === 0 ? item.pick : ids[item.pick % ids.length]!;
          expect(slots.delete(id)).toBe(model.delete(id));
        } else {
          expect(slots.get(item.id)).toBe(model.get(item.id));
        }
        expect(slots.size).toBe(model.size);
      }
      expect(slots.values()).toEqual([...model.values()]);
      for (const [id, request] of model) expect(slots.get(id)).toBe(request);
    }));
  });

  test("a request outlives a full turn of the ring and is still found, then removed", () => {
    const slots = new RequestSlots<{ requestId: number }>();
    const old = { requestId: 1 };
    slots.add(old);
    for (let id = 2; id <= 3 * requestSlotsCount; id++) {
      slots.add({ requestId: id });
      expect(slots.delete(id)).toBe(true);
    }
    expect(slots.get(1)).toBe(old);
    expect(slots.get(1 + requestSlotsCount)).toBeUndefined();
    expect(slots.values()).toEqual([old]);
    expect(slots.delete(1)).toBe(true);
    expect(slots.size).toBe(0);
    expect(slots.delete(1)).toBe(false);
  });

  test("ids must increase", () => {
    const slots = new RequestSlots<{ requestId: number }>();
    slots.add({ requestId: 5 });
    expect(() => slots.add({ requestId: 5 })).toThrow(/increase/);
    expect(() => slots.add({ requestId: 4 })).toThrow(/increase/);
  });
});
