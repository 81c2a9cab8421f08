/**
 * A config entry's data is the whole membership after the change, not a delta, so any
 * node can read its configuration from the newest config entry alone (§4.1: a server
 * uses the latest configuration in its log, committed or not).
 *
 * Layout (little endian u32 words): voterCount, voters..., learnerCount, learners...
 */
import { assert } from "../../util/assert.ts";
import type { ConfState } from "./types.ts";

const wordBytes = 4;

export function encodeConfState(confState: ConfState): Uint8Array {
  const words = 2 + confState.voters.length + confState.learners.length;
  const bytes = new Uint8Array(words * wordBytes);
  const view = new DataView(bytes.buffer);
  let offset = 0;
  for (const list of [confState.voters, confState.learners]) {
    view.setUint32(offset, list.length, true);
    offset += wordBytes;
    for (const node of list) {
      view.setUint32(offset, node, true);
      offset += wordBytes;
    }
  }
  return bytes;
}

export function decodeConfState(bytes: Uint8Array): ConfState {
  assert(bytes.length % wordBytes === 0 && bytes.length >= 2 * wordBytes, "config entry: bad length");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  const readList = (): number[] => {
    const count = view.getUint32(offset, true);
    offset += wordBytes;
    assert(offset + count * wordBytes <= bytes.length, "config entry: list overruns the entry");
    const list: number[] = [];
    for (let i = 0; i < count; i++, offset += wordBytes) list.push(view.getUint32(offset, true));
    return list;
  };
  const voters = readList();
  const learners = readList();
  assert(offset === bytes.length, "config entry: trailing bytes");
  return { voters, learners };
}

export function cloneConfState(confState: ConfState): ConfState {
  return { voters: [...confState.voters], learners: [...confState.learners] };
}

