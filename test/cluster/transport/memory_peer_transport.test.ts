/**
 * The in-memory peer transport passes the transport contract, and its cut links lose messages one
 * way until restored.
 */
import { expect, test } from "bun:test";
import { MemoryPeerNetwork } from "../../../src/cluster/transport/memory_peer_transport.ts";
import type { Message } from "../../../src/cluster/raft/types.ts";
import { runTransportContract } from "./transport_contract.ts";
import { waitFor } from "../../support/wait_for.ts";

const network = new MemoryPeerNetwork();
runTransportContract("MemoryPeerTransport", {
  async start(nodeId, limits) {
    return { transport: network.join(nodeId, new Map(), limits), address: `memory:${nodeId}` };
  },
});

test("MemoryPeerNetwork: a cut link loses messages one way until restored", async () => {
  const isolated = new MemoryPeerNetwork();
  const peers = new Map([[1, "memory:1"], [2, "memory:2"]]);
  const one = isolated.join(1, peers);
  const two = isolated.join(2, peers);
  const atTwo: Message[] = [];
  const atOne: Message[] = [];
  two.onMessage((message) => atTwo.push(message));
  one.onMessage((message) => atOne.push(message));
  isolated.cut(1, 2);
  one.send([{ type: "timeoutNow", from: 1, to: 2, term: 1 }]);
  two.send([{ type: "timeoutNow", from: 2, to: 1, term: 1 }]);
  await waitFor(() => atOne.length === 1, "the open direction");
  expect(atTwo).toEqual([]);
  isolated.restore(1, 2);
  one.send([{ type: "timeoutNow", from: 1, to: 2, term: 2 }]);
  await waitFor(() => atTwo.length === 1, "after restore");
  expect(atTwo[0].term).toBe(2);
});
