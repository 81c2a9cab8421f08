/**
 * The joining node's side of `serve --join HOST:PORT` (a node joining a running sharded
 * cluster; member's side: join_handler.ts, wire: join_codec.ts). It asks the member at HOST:PORT,
 * follows a Redirect to the coordinator's leader (at most joinRedirectsMax hops in a row), and
 * asks again after NotReady, or after a leader it was sent to could not be reached, starting over
 * at HOST:PORT (at most joinAttemptsMax conversations, joinRetryDelayMs apart). It ends with the
 * coordinator voters of an Accepted answer, or a JoinError saying in one line why not:
 *   - HOST:PORT unreachable, or not a FileStore peer port that takes joins (join_client.ts);
 *   - Refused (NODE_CONFLICT: the name or peer address is taken; CLUSTER_MISMATCH; NOT_SHARDED:
 *     the node there runs one group; ...), with the member's reason;
 *   - no Accepted answer within the attempts (the last reason given).
 * Nothing is changed anywhere by a join that fails, except when it is Accepted too late for this
 * node to hear it: then the next attempt of the same node (same name and peer address) is accepted.
 */
import type { HostPort } from "../../config/address.ts";
import { formatHostPort, parseHostPort } from "../../config/address.ts";
import { sleep, type Clock } from "../../util/clock.ts";
import type { Logger } from "../../util/logger.ts";
import { exchangeJoin, JoinExchangeError } from "../transport/join_client.ts";
import { joinAnswerText, type JoinAnswer, type JoinMember, type JoinRequest } from "../transport/join_codec.ts";
import type { PeerDialer } from "../transport/types.ts";

/** Redirects followed in a row: one is the rule (any member → the leader); more mean leadership moved meanwhile. */
const joinRedirectsMax = 3;
/**
 * Conversations before giving up: with joinRetryDelayMs between them about 15 s, time for a new
 * cluster's bootstrap and an election or two on a loaded machine.
 */
const joinAttemptsMax = 60;
/** Between conversations after NotReady: a coordinator election takes about a second. */
const joinRetryDelayMs = 250;

/** The node could not join; the message says why, in one line. */
export class JoinError extends Error {
  override name = "JoinError";
}

interface JoinOptions {
  /** The member asked first (--join). */
  address: HostPort;
  request: JoinRequest;
  clock: Clock;
  logger: Logger;
  dial?: PeerDialer;
}

/** Joins through `options.address`; resolves with the coordinator's voters (see the head comment). */
export async function joinCluster(options: JoinOptions): Promise<JoinMember[]> {
  const first = formatHostPort(options.address);
  let target = options.address;
  let redirects = 0;
  let lastReason = "";
  for (let attempt = 1; attempt <= joinAttemptsMax; attempt++) {
    const where = formatHostPort(target);
    const answer = await ask(target, options, where === first);
    if (answer.kind === "accepted") return answer.members;
    if (answer.kind === "refused") {
      throw new JoinError(`joining through ${first} refused: ${answer.code}: ${answer.reason}`);
    }
    lastReason = answer.kind === "redirect" ? `redirected to ${answer.leaderPeer}` : answer.reason;
    options.logger.info("join not accepted yet", { member: where, answer: joinAnswerText(answer), attempt });
    const leader = answer.kind === "redirect" ? parseHostPort(answer.leaderPeer) : null;
    if (leader !== null && typeof leader !== "string" && redirects < joinRedirectsMax) {
      redirects++;
      target = leader;
      continue;
    }
    redirects = 0;
    target = options.address;
    await sleep(options.clock, joinRetryDelayMs);
  }
  const tried = `no member accepted within ${joinAttemptsMax} attempts`;
  throw new JoinError(`joining through ${first}: ${tried} (${lastReason})`);
}

/**
 * One conversation. The first member failing to answer ends the join (the operator named a wrong
 * address); a leader it was sent to failing is NotReady (it may have just stopped).
 */
async function ask(target: HostPort, options: JoinOptions, isFirst: boolean): Promise<JoinAnswer> {
  try {
    return await exchangeJoin(target, options.request, options.dial);
  } catch (error) {
    if (!(error instanceof JoinExchangeError)) throw error;
    if (isFirst) throw new JoinError(`cannot join through ${formatHostPort(options.address)}: ${error.message}`);
    return { kind: "notReady", reason: error.message };
  }
}
