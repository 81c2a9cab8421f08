/**
 * Whole-map fetches without storms (src/client/map_refresh.ts), on a clock and sleeps the test
 * drives: one fetch in flight shared by every caller, none for a caller whose map changed since
 * it routed, and fetches spaced refreshSpacingMs apart.
 */
import { expect, test } from "bun:test";
import { MapRefresh, refreshSpacingMs } from "../../src/client/map_refresh";
import { Latch } from "../support/latch";

function harness() {
  let nowMs = 1000;
  let generation = 0;
  const fetches: number[] = [];
  const sleeps: number[] = [];
  let fetchLatch = new Latch();
  let sleepLatch = new Latch();
  const refresh = new MapRefresh(
    async () => {
      fetches.push(nowMs);
      await fetchLatch.wait();
      generation++;
    },
    () => generation,
    async (ms) => {
      sleeps.push(ms);
      await sleepLatch.wait();
      nowMs += ms;
    },
    () => nowMs,
  );
  return {
    refresh, fetches, sleeps,
    advance: (ms: number) => { nowMs += ms; },
    generation: () => generation,
    finishFetch: () => { fetchLatch.open(); fetchLatch = new Latch(); },
    finishSleep: () => { sleepLatch.open(); sleepLatch = new Latch(); },
  };
}

test("many callers at one generation share one fetch", async () => {
  const h = harness();
  const waiting = Array.from({ length: 100 }, () => h.refresh.refresh(0));
  await Promise.resolve();
  expect(h.fetches.length).toBe(1);
  h.finishFetch();
  await Promise.all(waiting);
  expect({ fetches: h.fetches.length, generation: h.generation(), sleeps: h.sleeps })
    .toEqual({ fetches: 1, generation: 1, sleeps: [] });
});

test("a caller that routed before the last change does not fetch: it routes again", async () => {
  const h = harness();
  const first = h.refresh.refresh(0);
  h.finishFetch();
  await first;
  h.advance(refreshSpacingMs * 10);
  await h.refresh.refresh(0);
  expect(h.fetches.length).toBe(1);
});

test("a fetch sooner than the spacing after the last waits out the rest of it", async () => {
  const h = harness();
  h.refresh.noteFetched();
  h.advance(10);
  const waiting = h.refresh.refresh(0);
  await Promise.resolve();
  expect({ sleeps: h.sleeps, fetches: h.fetches.length }).toEqual({ sleeps: [refreshSpacingMs - 10], fetches: 0 });
  const joined = h.refresh.refresh(0);
  h.finishSleep();
  await waitUntil(() => h.fetches.length === 1);
  h.finishFetch();
  await Promise.all([waiting, joined]);
  expect({ sleeps: h.sleeps.length, fetches: h.fetches.length, generation: h.generation() })
    .toEqual({ sleeps: 1, fetches: 1, generation: 1 });
});

/** Lets pending promise callbacks run until `condition` holds (bounded: a few turns of microtasks). */
async function waitUntil(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 100 && !condition(); turn++) await Promise.resolve();
  expect(condition()).toBe(true);
}
