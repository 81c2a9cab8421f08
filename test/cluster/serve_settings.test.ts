/**
 * The replica settings serve derives from flags and TOML: a single node, or a node id with its
 * peers and its own peer address.
 */
import { describe, expect, test } from "bun:test";
import { clusterSettings } from "../../src/cli/serve_cluster.ts";
import { groupMembersMax } from "../../src/cluster/raft/conf_change.ts";
import { ConfigError } from "../../src/config/config_error.ts";
import { resolveConfig } from "../../src/config/load.ts";

const configWith = (flags: Record<string, string>) => resolveConfig({}, "test.toml", flags);
/** `n1=127.0.0.1:7500,n2=...` for `count` nodes. */
const peerList = (count: number) =>
  Array.from({ length: count }, (_, index) => `n${index + 1}=127.0.0.1:${7500 + index}`).join(",");

describe("replica settings of serve", () => {
  test("no peers: a single node", () => {
    expect(clusterSettings(configWith({}), "flags")).toBeNull();
  });

  test("join = HOST:PORT: a node joining a sharded cluster through that member, with no peers", () => {
    const flags = { "node-id": "n4", join: "127.0.0.1:7500", "peer-listen": "127.0.0.1:7503" };
    const settings = clusterSettings(configWith(flags), "flags")!;
    expect(settings).toMatchObject({ nodeId: 4, shards: 0, joinThrough: { host: "127.0.0.1", port: 7500 } });
    expect(settings.peers.size).toBe(0);
    expect(settings.peerListen).toEqual({ host: "127.0.0.1", port: 7503 });
    const fromToml = resolveConfig({ "node-id": "n4", join: "h:1", "peer-listen": "h:2" }, "c.toml", {});
    expect(clusterSettings(fromToml, "c.toml")!.joinThrough).toEqual({ host: "h", port: 1 });
  });

  test("named peers from flags or TOML give the node id, the peer map and its own peer address", () => {
    const settings = clusterSettings(configWith({ "node-id": "n2", peers: "n1=127.0.0.1:7500,n2=127.0.0.1:7501,n3=127.0.0.1:7502" }), "flags")!;
    expect(settings.nodeId).toBe(2);
    expect([...settings.peers.keys()]).toEqual([1, 2, 3]);
    const largest = clusterSettings(configWith({ "node-id": "n1", peers: peerList(groupMembersMax) }), "flags")!;
    expect(largest.peers.size).toBe(groupMembersMax);
    expect(settings.peers.get(2)).toEqual({ host: "127.0.0.1", port: 7501 });
    const fromToml = resolveConfig({ "node-id": "n1", peers: ["n1=127.0.0.1:7500", "n2=127.0.0.1:7501"], "peer-listen": "0.0.0.0:7500" }, "c.toml", {});
    expect(clusterSettings(fromToml, "c.toml")!.peerListen).toEqual({ host: "0.0.0.0", port: 7500 });
  });

  test.each([
    ["a missing node id", { peers: "n1=127.0.0.1:7500" }, "node-id"],
    ["a bad node id", { "node-id": "one_", peers: "n1=127.0.0.1:7500" }, "node-id"],
    ["an unnamed peer", { "node-id": "n1", peers: "127.0.0.1:7500" }, "peers"],
    ["a peer listed twice", { "node-id": "n1", peers: "n1=127.0.0.1:7500,n1=127.0.0.1:7501" }, "peers"],
    ["this node missing", { "node-id": "n3", peers: "n1=127.0.0.1:7500,n2=127.0.0.1:7501" }, "peers"],
    ["join without peers", { join: "true" }, "join"],
    ["join alone with shards", { "node-id": "n1", peers: "n1=127.0.0.1:7500", shards: "4", join: "true" }, "join"],
    ["a sharded join without a node id", { join: "127.0.0.1:7500", "peer-listen": "127.0.0.1:7503" }, "node-id"],
    ["a sharded join with peers", { "node-id": "n4", join: "h:1", "peer-listen": "h:2", peers: "n4=h:2" }, "peers"],
    ["a sharded join with shards", { "node-id": "n4", join: "h:1", "peer-listen": "h:2", shards: "4" }, "shards"],
    ["a sharded join without peer-listen", { "node-id": "n4", join: "127.0.0.1:7500" }, "peer-listen"],
    ["more peers than a group may have", { "node-id": "n1", peers: peerList(groupMembersMax + 1) }, "peers"],
  ])("%s is a ConfigError naming the setting", (_what, flags, field) => {
    let caught: unknown;
    try {
      clusterSettings(configWith(flags as Record<string, string>), "flags");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).field).toBe(field);
  });
});
