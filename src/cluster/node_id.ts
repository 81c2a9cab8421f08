/**
 * Node names on the command line and in config files ("n1", "n2", ...) and the numeric NodeId
 * the Raft core uses (1, 2, ...). The name is the id with an "n" in front, so logs, metrics and
 * flags all read the same; anything else is refused with a message naming the bad text.
 */
import { parseHostPort, type HostPort } from "../config/address.ts";
import type { NodeId } from "./raft/types.ts";

/** Raft config entries store node ids as u32 (src/cluster/raft/config_entry.ts). */
const nodeIdMax = 0xffffffff;

export class NodeIdError extends Error {
  override name = "NodeIdError";
}

/** "n3" → 3. */
export function parseNodeId(text: string): NodeId {
  const match = /^n([1-9][0-9]*)$/.exec(text.trim());
  const id = match === null ? NaN : Number(match[1]);
  if (!Number.isSafeInteger(id) || id > nodeIdMax) {
    throw new NodeIdError(`node id must be "n" followed by a number in 1..${nodeIdMax} (e.g. n1), got "${text}"`);
  }
  return id;
}

/** 3 → "n3". */
export function formatNodeId(id: NodeId): string {
  return `n${id}`;
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
  if (separator < 0) throw new NodeIdError(`peer must be written NAME=HOST:PORT (e.g. n1=127.0.0.1:7500), got "${item}"`);
  const id = parseNodeId(item.slice(0, separator));
  const address = parseHostPort(item.slice(separator + 1).trim());
  if (typeof address === "string") throw new NodeIdError(`peer ${formatNodeId(id)}: ${address}`);
  return [id, address];
}
