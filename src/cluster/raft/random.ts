/**
 * The only source of randomness in the Raft core: a seeded splitmix32 generator, so a
 * simulation replays exactly from its seed. Randomness picks election timeouts (§3.4).
 */
export type RandomSource = () => number;

/** Returns floats in [0, 1) from a 32-bit seed (splitmix32 mixing of a Weyl sequence). */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 16), 0x85ebca6b);
    mixed = Math.imul(mixed ^ (mixed >>> 13), 0xc2b2ae35);
    mixed ^= mixed >>> 16;
    return (mixed >>> 0) / 4294967296;
  };
}

/** An integer in [low, highExclusive). */
export function randomInteger(random: RandomSource, low: number, highExclusive: number): number {
  return low + Math.floor(random() * (highExclusive - low));
}
