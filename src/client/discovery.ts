/**
 * What connect() makes of its addresses: it asks the first node that answers for the shard map
 * (ShardMapRequest), so any node's address finds the whole cluster.
 * - A map: a sharded cluster. Requests are routed to each shard's leader (shard_router.ts).
 * - "Not sharded" (version 0, or INVALID_REQUEST from a server older than sharding): exactly the
 *   client of before: a list of addresses (or `cluster: true`) is one replicated group whose
 *   leader is followed (leader_router.ts); a single address is one server (client.ts).
 * - UNAVAILABLE: a sharded cluster still starting (its coordinator not bootstrapped yet): asked
 *   again, after a backoff, until connectTimeoutMs has passed since the first ask.
 * - No clear answer from any node (no answer in time, a refusal such as OVERLOADED): the first node
 *   that was reached is taken as not sharded, as before sharding. A map that breaks the rules
 *   (ShardMap.fromOutside) rules its node out.
 * `cluster: false` asks nothing: the addresses are one server, as before.
 */
import type { Reply } from "../net/messages.ts";
import { ShardMapError } from "../cluster/placement/shard_map_error.ts";
import { formatAddress, type Address } from "./address.ts";
import { ClientCore, noServerReached } from "./client.ts";
import type { ResolvedClientOptions } from "./client_options.ts";
import { ClusterView } from "./cluster_view.ts";
import { LeaderRouter, type RequestSender } from "./leader_router.ts";
import { wholeReply } from "./pending_requests.ts";
import { ShardRouter } from "./shard_router.ts";
import { WriteSession } from "./write_session.ts";
import { sleep } from "./sleep.ts";

/** Between asks while a sharded cluster starts (its coordinator elects and bootstraps in well under a second). */
const startingRetryDelayMsInitial = 10;
const startingRetryDelayMsMax = 200;

type MapAnswer =
  | { kind: "sharded"; view: ClusterView }
  | { kind: "not sharded" }
  /** No answer, or a refusal: the node may still serve as before sharding. */
  | { kind: "unclear"; reason: string }
  /** A map that breaks the rules: this node is not used. */
  | { kind: "refused"; reason: string };

/**
 * The sender for `addresses`; UNAVAILABLE saying why each address failed when none could be
 * reached. `cluster`: the option as given; `isList`: the addresses came as a list (which, not
 * sharded, means a replicated group unless `cluster` says otherwise).
 */
export async function connectSender(
  addresses: Address[], options: ResolvedClientOptions, cluster: boolean | undefined, isList: boolean,
): Promise<RequestSender> {
  if (cluster === false) {
    const core = new ClientCore(addresses, options);
    await core.start();
    return core;
  }
  const asGroup = cluster ?? isList;
  const reasons: string[] = [];
  let fallback: { address: Address; core: ClientCore } | null = null;
  for (const address of addresses) {
    const session = new WriteSession();
    const core = new ClientCore([address], options, session.sessionId);
    const failures = await core.open();
    if (failures !== null) {
      reasons.push(...failures);
      continue;
    }
    const answer = await askShardMap(core, options);
    if (answer.kind === "sharded") {
      if (fallback !== null) void fallback.core.close();
      return new ShardRouter(answer.view, options, session, { address: formatAddress(address), core });
    }
    if (answer.kind === "not sharded") {
      if (fallback !== null) void fallback.core.close();
      return notSharded(addresses, options, asGroup, address, core);
    }
    reasons.push(`${formatAddress(address)}: ${answer.reason}`);
    if (answer.kind === "unclear" && fallback === null) fallback = { address, core };
    else void core.close();
  }
  if (fallback !== null) return notSharded(addresses, options, asGroup, fallback.address, fallback.core);
  throw noServerReached(reasons);
}

function notSharded(
  addresses: Address[], options: ResolvedClientOptions, asGroup: boolean, address: Address, core: ClientCore,
): RequestSender {
  if (!asGroup) return core;
  return LeaderRouter.adopt(addresses, options, address, core);
}

async function askShardMap(core: ClientCore, options: ResolvedClientOptions): Promise<MapAnswer> {
  const giveUpAtMs = performance.now() + options.connectTimeoutMs;
  let reply: Reply;
  for (let delayMs = startingRetryDelayMsInitial; ; delayMs = Math.min(2 * delayMs, startingRetryDelayMsMax)) {
    try {
      reply = await core.request({ kind: "shardMap" }, { timeoutMs: options.connectTimeoutMs }, wholeReply);
    } catch (error) {
      return { kind: "unclear", reason: `no shard map: ${(error as Error).message}` };
    }
    if (reply.status !== "UNAVAILABLE" || performance.now() + delayMs >= giveUpAtMs) break;
    await sleep(delayMs);
  }
  if (reply.status === "INVALID_REQUEST") return { kind: "not sharded" };
  if (reply.status !== "OK" || reply.result.kind !== "shardMap") {
    return { kind: "unclear", reason: `no shard map: ${reply.status} ${reply.message}`.trimEnd() };
  }
  if (reply.result.map === null) return { kind: "not sharded" };
  try {
    return { kind: "sharded", view: new ClusterView(reply.result.map) };
  } catch (error) {
    if (!(error instanceof ShardMapError)) throw error;
    return { kind: "refused", reason: `shard map refused: ${error.message}` };
  }
}
