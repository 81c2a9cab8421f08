/** InFlightCount: idle() waits for the last operation in flight and releases every waiter. */
import { describe, expect, test } from "bun:test";
import { InFlightCount } from "../../src/util/in_flight_count.ts";

describe("InFlightCount", () => {
  test("idle() resolves at once when nothing is in flight", async () => {
    const count = new InFlightCount();
    await count.idle();
    expect(count.size).toBe(0);
  });

  test("idle() waits until the last operation ends, and every waiter is released", async () => {
    const count = new InFlightCount();
    count.begin();
    count.begin();
    const released: number[] = [];
    void count.idle().then(() => released.push(1));
    void count.idle().then(() => released.push(2));
    count.end();
    await Promise.resolve();
    expect(released).toEqual([]);
    count.end();
    await count.idle();
    await Promise.resolve();
    expect(released).toEqual([1, 2]);
    expect(count.size).toBe(0);
  });

  test("a new round of operations gets a new idle promise", async () => {
    const count = new InFlightCount();
    count.begin();
    const first = count.idle();
    count.end();
    await first;
    count.begin();
    let secondDone = false;
    void count.idle().then(() => (secondDone = true));
    await Promise.resolve();
    expect(secondDone).toBe(false);
    count.end();
    await count.idle();
    await Promise.resolve();
    expect(secondDone).toBe(true);
  });
});
