/**
 * When a peer's refusal proves this node was removed (node_removal.ts): only when its own applied
 * membership lists it and the peer's membership is from a later index; never for a joining node.
 */
import { expect, test } from "bun:test";
import { removalClientMessage, removalNotice, removalShownByRefusal } from "../../src/cluster/node_removal.ts";

const threeVoters = { voters: [1, 2, 3], learners: [] };
const refusal = { from: 1, membershipIndex: 40, reason: "not a member of this group as of index 40" };

test("a member whose peer's membership is newer and does not list it was removed", () => {
  const removal = removalShownByRefusal(2, 39, threeVoters, refusal);
  expect(removal).toEqual({ node: 2, membershipIndex: 40, learnedFrom: 1 });
  expect(removalClientMessage(removal!)).toBe("node n2 was removed from the group; use another member");
  expect(removalNotice(removal!)).toBe("node n2 was removed from the group (membership as of index 40, told by n1)");
});

test("a learner is a member too", () => {
  expect(removalShownByRefusal(4, 10, { voters: [1, 2, 3], learners: [4] }, refusal)).not.toBeNull();
});

test("a refusal from a peer not ahead of this node proves nothing (it may not know of this node's addition)", () => {
  expect(removalShownByRefusal(2, 40, threeVoters, refusal)).toBeNull();
  expect(removalShownByRefusal(2, 55, threeVoters, refusal)).toBeNull();
});

test("a joining node, whose applied membership does not list it, is never told it was removed", () => {
  expect(removalShownByRefusal(4, 0, { voters: [], learners: [] }, refusal)).toBeNull();
  expect(removalShownByRefusal(4, 20, threeVoters, refusal)).toBeNull();
});
