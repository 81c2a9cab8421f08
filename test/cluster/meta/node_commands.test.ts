/**
 * The node-list commands of the coordinator: addNode (new nodes join, known nodes update their
 * addresses idempotently, ids and names unique and never reused), markNode (joining → up,
 * up ⇄ draining) and removeNode (refused while the node holds replicas); every refusal changes
 * nothing, and the map version stays where it was.
 */
import { describe, expect, test } from "bun:test";
import type { CoordinatorChange } from "../../../src/cluster/meta/coordinator_command.ts";
import { nodesMax } from "../../../src/cluster/meta/coordinator_limits.ts";
import { accept, bootstrapped, refuse, spec } from "./coordinator_fixtures.ts";

describe("addNode", () => {
  test("a new node joins; followers hear of it; the shard map is untouched", async () => {
    const machine = await bootstrapped(3, 4);
    const changes: CoordinatorChange[] = [];
    machine.subscribe((change) => changes.push(change));
    expect(await accept(machine, { kind: "addNode", node: spec(4) })).toEqual({ ok: true, changed: true });
    expect(machine.node(4)).toEqual({ ...spec(4), state: "joining" });
    expect(machine.replicasOn(4)).toEqual([]);
    const added = { index: 2, mapVersion: 1, shards: [], nodes: [4], settingsChanged: false, restored: false };
    expect(changes).toEqual([added]);
  });

  test("a known node: the same addresses change nothing, new ones replace them and keep its state", async () => {
    const machine = await bootstrapped(3, 4);
    const changes: CoordinatorChange[] = [];
    machine.subscribe((change) => changes.push(change));
    expect(await accept(machine, { kind: "addNode", node: spec(2) })).toEqual({ ok: true, changed: false });
    const moved = { ...spec(2), addresses: { clientAddress: "h:1", peerAddress: "h:2", adminAddress: "h:3" } };
    expect(await accept(machine, { kind: "addNode", node: moved })).toEqual({ ok: true, changed: true });
    expect(machine.node(2)).toEqual({ ...moved, state: "up" });
    expect(changes.map((change) => change.nodes)).toEqual([[2]]);
  });

  test("refused: an id of another name, a name of another id, a peer address in use, a bad spec", async () => {
    const machine = await bootstrapped(3, 4);
    await refuse(machine, { kind: "addNode", node: { ...spec(4), id: 1 } }, "NODE_CONFLICT");
    await refuse(machine, { kind: "addNode", node: { ...spec(4), name: "n1" } }, "NODE_CONFLICT");
    await refuse(machine, { kind: "addNode", node: { ...spec(4), addresses: spec(3).addresses } }, "NODE_CONFLICT");
    await refuse(machine, { kind: "addNode", node: { ...spec(2), addresses: spec(3).addresses } }, "NODE_CONFLICT");
    await refuse(machine, { kind: "addNode", node: { ...spec(4), id: 0 } }, "INVALID_ARGUMENT");
    await refuse(machine, { kind: "addNode", node: { ...spec(4), id: 2 ** 32 } }, "INVALID_ARGUMENT");
    await refuse(machine, { kind: "addNode", node: { ...spec(4), name: "" } }, "INVALID_ARGUMENT");
    const longAddress = { ...spec(4).addresses, clientAddress: "h".repeat(300) };
    await refuse(machine, { kind: "addNode", node: { ...spec(4), addresses: longAddress } }, "INVALID_ARGUMENT");
  });

  test("at most nodesMax records, removed nodes included", async () => {
    const machine = await bootstrapped(3, 1);
    for (let id = 4; id <= nodesMax; id++) await accept(machine, { kind: "addNode", node: spec(id) });
    await accept(machine, { kind: "removeNode", node: nodesMax });
    await refuse(machine, { kind: "addNode", node: spec(nodesMax + 1) }, "LIMIT_REACHED");
    expect(machine.nodes()).toHaveLength(nodesMax);
  });
});

describe("markNode", () => {
  test("joining → up → draining → up; the same state again changes nothing", async () => {
    const machine = await bootstrapped(3, 4);
    await accept(machine, { kind: "addNode", node: spec(4) });
    const states: string[] = [];
    machine.subscribe(() => states.push(machine.node(4)!.state));
    await accept(machine, { kind: "markNode", node: 4, state: "up" });
    expect(await accept(machine, { kind: "markNode", node: 4, state: "up" })).toEqual({ ok: true, changed: false });
    await accept(machine, { kind: "markNode", node: 4, state: "draining" });
    await accept(machine, { kind: "markNode", node: 4, state: "up" });
    expect(states).toEqual(["up", "draining", "up"]);
  });

  test("refused: transitions the state rules do not allow, unknown and removed nodes, removal by marking", async () => {
    const machine = await bootstrapped(3, 4);
    await accept(machine, { kind: "addNode", node: spec(4) });
    await refuse(machine, { kind: "markNode", node: 4, state: "draining" }, "INVALID_TRANSITION");
    await refuse(machine, { kind: "markNode", node: 1, state: "joining" }, "INVALID_TRANSITION");
    await refuse(machine, { kind: "markNode", node: 9, state: "up" }, "UNKNOWN_NODE");
    await refuse(machine, { kind: "markNode", node: 4, state: "removed" as "up" }, "INVALID_ARGUMENT");
    await refuse(machine, { kind: "markNode", node: 4, state: "gone" as "up" }, "INVALID_ARGUMENT");
    await accept(machine, { kind: "removeNode", node: 4 });
    await refuse(machine, { kind: "markNode", node: 4, state: "up" }, "NODE_REMOVED");
  });
});

describe("removeNode", () => {
  test("a node holding no replica is removed for good: its id and its name are never used again", async () => {
    const machine = await bootstrapped(3, 4);
    await accept(machine, { kind: "addNode", node: spec(4) });
    expect(await accept(machine, { kind: "removeNode", node: 4 })).toEqual({ ok: true, changed: true });
    expect(machine.node(4)!.state).toBe("removed");
    expect(await accept(machine, { kind: "removeNode", node: 4 })).toEqual({ ok: true, changed: false });
    await refuse(machine, { kind: "addNode", node: spec(4) }, "NODE_REMOVED");
    await refuse(machine, { kind: "addNode", node: { ...spec(5), name: "n4" } }, "NODE_CONFLICT");
    // Its peer address is free again: nothing listens there any more.
    await accept(machine, { kind: "addNode", node: { ...spec(5), addresses: spec(4).addresses } });
  });

  test("refused: a node that holds replicas, an unknown node", async () => {
    const machine = await bootstrapped(3, 4);
    await refuse(machine, { kind: "removeNode", node: 1 }, "NODE_HOLDS_REPLICAS");
    await refuse(machine, { kind: "removeNode", node: 7 }, "UNKNOWN_NODE");
  });
});
