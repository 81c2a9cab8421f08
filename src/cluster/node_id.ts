/**
 * Node names as operators write them (flags, config files, `filestore cluster ...`, status and
 * metrics) and the numeric NodeId the Raft core uses (a u32 in stored configurations, see
 * src/cluster/raft/config_entry.ts). parseNodeId and formatNodeId are the only ways between
 * the two.
 *
 * - `n<k>` (k from 1 to 4294967295, no leading zero) is the id k itself, as before readable
 *   names existed, so the data folders of groups named n1, n2, ... keep their ids.
 * - Any other name (`db-a`): letters, digits and "-", starting with a letter, not ending with
 *   "-", at most 63 characters (a DNS label, so a host name can serve as the node name), and
 *   case-insensitive (written in lower case). Its id is xxHash32 of the lower-case name with
 *   the top bit set: from 2^31 up, apart from the small numbers of `n<k>`, and the same on
 *   every node and after every restart.
 * The way back, from a hashed id to its name, is a table of the names this process has met:
 * in its configuration, in the requests it parsed (add-node) and in the replicated member
 * announcements and snapshots (rememberMemberName), so every node can print every member,
 * including one that joined after it started. An id whose name it never met prints as `n<id>`,
 * which parses back to the same id. Two names with the same id are refused where the second
 * is parsed, naming both.
 */
import { parseHostPort, type HostPort } from "../config/address.ts";
import { assert } from "../util/assert.ts";
import { nodeNameCharactersMax } from "./meta/coordinator_limits.ts";
import type { NodeId } from "./raft/types.ts";

/** Raft config entries store node ids as u32 (src/cluster/raft/config_entry.ts). */
const nodeIdMax = 0xffffffff;
/** Set in every hashed id: they never meet the ids of `n1`, `n2`, ... */
const hashedIdBit = 0x80000000;
/**
 * Names kept for printing. A group has a handful of members; the bound keeps names parsed from
 * admin requests (say, misspelt remove-node targets) from growing memory without end.
 * Members' names (rememberMemberName) are kept past it.
 */
const nodeNamesMax = 4096;

export class NodeIdError extends Error {
  override name = "NodeIdError";
}

/** Hashed id → the readable name it came from. */
const namesById = new Map<NodeId, string>();

/** "n3" → 3; "db-a" → its hashed id (remembered for formatNodeId). */
export function parseNodeId(text: string): NodeId {
  const name = text.trim().toLowerCase();
  const numbered = numberedId(name, text);
  if (numbered !== null) return numbered;
  checkName(name, text);
  const id = hashedId(name);
  const known = namesById.get(id);
  if (known !== undefined && known !== name) {
    throw new NodeIdError(`node names "${known}" and "${name}" map to the same internal id ${id}; rename one of them`);
  }
  if (known === undefined) {
    if (namesById.size >= nodeNamesMax) {
      throw new NodeIdError(`this process has met ${nodeNamesMax} node names; "${name}" is one too many (restart it)`);
    }
    namesById.set(id, name);
  }
  return id;
}

/** 3 → "n3"; a hashed id → its name (or `n<id>` when this process never met the name). */
export function formatNodeId(id: NodeId): string {
  return namesById.get(id) ?? `n${id}`;
}

/**
 * The name of a member, from a replicated announcement or a snapshot: what the group agreed on
 * wins over a name this process met elsewhere, and is kept past the bound of parsed names.
 */
export function rememberMemberName(name: string, id: NodeId): void {
  if (/^n[0-9]+$/.test(name)) return; // `n<k>` prints as itself
  assert(hashedId(name) === id, `member name ${name} does not hash to its id ${id}`);
  namesById.set(id, name);
}

/** The id of `n<k>`; null for a name of another form; NodeIdError for n0, n01, n99999999999. */
function numberedId(name: string, text: string): NodeId | null {
  if (!/^n[0-9]+$/.test(name)) return null;
  const id = Number(name.slice(1));
  if (name[1] === "0" || !Number.isSafeInteger(id) || id > nodeIdMax) {
    const rule = `write n1 to n${nodeIdMax}, no leading zero`;
    throw new NodeIdError(`node id "${text}": n followed by a number means that number; ${rule}`);
  }
  return id;
}

function checkName(name: string, text: string): void {
  if (name.length === 0) {
    throw new NodeIdError('node name is empty; name a node with letters, digits and "-" (e.g. db-a or n1)');
  }
  if (name.length > nodeNameCharactersMax) {
    throw new NodeIdError(`node name "${text}" is longer than ${nodeNameCharactersMax} characters`);
  }
  if (!/^[a-z]([a-z0-9-]*[a-z0-9])?$/.test(name)) {
    const rule = 'must be letters, digits and "-", starting with a letter and not ending with "-" (e.g. db-a or n1)';
    throw new NodeIdError(`node name "${text}" ${rule}`);
  }
}

function hashedId(name: string): NodeId {
  return (Bun.hash.xxHash32(name) | hashedIdBit) >>> 0;
}

/** "n1=127.0.0.1:7500,n2=127.0.0.1:7501" → Map { 1 → {127.0.0.1, 7500}, 2 → ... }. */
export function parsePeers(text: string): Map<NodeId, HostPort> {
  const peers = new Map<NodeId, HostPort>();
  const items = text.split(",").map((item) => item.trim()).filter((item) => item.length > 0);
  for (const item of items) {
    const [id, address] = parsePeer(item);
    if (peers.has(id)) throw new NodeIdError(`peer ${formatNodeId(id)} is listed twice`);
    peers.set(id, address);
  }
  return peers;
}

/** "n4=127.0.0.1:7503" → [4, {127.0.0.1, 7503}]. */
export function parsePeer(item: string): [NodeId, HostPort] {
  const separator = item.indexOf("=");
  if (separator < 0) {
    throw new NodeIdError(`peer must be written NAME=HOST:PORT (e.g. db-a=127.0.0.1:7500), got "${item}"`);
  }
  const id = parseNodeId(item.slice(0, separator));
  const address = parseHostPort(item.slice(separator + 1).trim());
  if (typeof address === "string") throw new NodeIdError(`peer ${formatNodeId(id)}: ${address}`);
  return [id, address];
}
