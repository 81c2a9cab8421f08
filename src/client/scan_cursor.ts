/**
 * The cursor of a scan across shards: where a merged scan stopped, so another call (or another
 * process) goes on from there. A merge in global key order delivers every key up to the last one
 * it gave, so every shard not finished goes on after that key; the cursor also names the parts of
 * the hash space whose shards were finished, so they are not asked again. Those are hash ranges,
 * not shard ids: they keep their meaning when shards split, merge or move in between.
 *
 * Form (opaque to callers, stable across versions of this client that share the prefix):
 *   "c1." + base64url(JSON { "after": base64 of the last key given | null,
 *                            "done": [[startHex, endHex], ...] })
 * with ranges printed as in src/cluster/placement/hash_range.ts. A cursor that does not parse is
 * refused with INVALID_REQUEST (argument "cursor") before anything is sent.
 */
import { formatRange, parseBound, type HashRange } from "../cluster/placement/hash_range.ts";
import { compareHashes } from "../cluster/placement/partition_hash.ts";
import { shardsMax } from "../cluster/placement/placement_limits.ts";
import { invalidArgument } from "./option_checks.ts";

export interface ScanProgress {
  /** The last key given, or null when none was. */
  after: Uint8Array | null;
  /** Finished parts of the space, sorted and merged (scan_ranges.ts addRange). */
  done: HashRange[];
}

const cursorPrefix = "c1.";
/**
 * Longest cursor accepted: a key (at most the engine's 4 KiB, 5.5 KiB in base64) and at most one
 * range per shard (shardsMax, ~40 characters each) fit well under it; a longer one is not ours.
 */
const cursorCharactersMax = 1024 * 1024;

export function encodeScanCursor(progress: ScanProgress): string {
  const json = {
    after: progress.after === null ? null : Buffer.from(progress.after).toString("base64"),
    done: progress.done.map(formatRange),
  };
  return cursorPrefix + Buffer.from(JSON.stringify(json)).toString("base64url");
}

/** The progress a cursor records; INVALID_REQUEST naming "cursor" when it is not one this client made. */
export function decodeScanCursor(cursor: string): ScanProgress {
  const refuse = (why: string) => invalidArgument("cursor", `cursor is not one a scan returned: ${why}`);
  if (cursor.length > cursorCharactersMax) throw refuse(`longer than ${cursorCharactersMax} characters`);
  if (!cursor.startsWith(cursorPrefix)) throw refuse(`it does not start with ${cursorPrefix}`);
  let json: { after?: unknown; done?: unknown };
  try {
    json = JSON.parse(Buffer.from(cursor.slice(cursorPrefix.length), "base64url").toString());
  } catch {
    throw refuse("it does not decode");
  }
  if (json.after !== null && typeof json.after !== "string") throw refuse("no last key");
  const after = json.after === null ? null : new Uint8Array(Buffer.from(json.after, "base64"));
  if (!Array.isArray(json.done) || json.done.length > shardsMax) throw refuse("no list of finished ranges");
  const done: HashRange[] = [];
  for (const pair of json.done as unknown[]) {
    const range = parseRange(pair);
    if (range === null) throw refuse(`a finished range ${JSON.stringify(pair)} is not [startHex, endHex]`);
    const previous = done.at(-1);
    const inOrder = previous === undefined || compareHashes(range.start, previous.end) > 0;
    if (!inOrder) throw refuse("finished ranges out of order");
    done.push(range);
  }
  return { after, done };
}

function parseRange(pair: unknown): HashRange | null {
  if (!Array.isArray(pair) || pair.length !== 2) return null;
  if (typeof pair[0] !== "string" || typeof pair[1] !== "string") return null;
  const start = parseBound(pair[0], false);
  const end = parseBound(pair[1], true);
  if (start === null || end === null || compareHashes(start, end) >= 0) return null;
  return { start, end };
}
