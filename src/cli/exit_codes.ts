/**
 * Exit codes of the `filestore` command, stable so scripts can test them. Documented in
 * `filestore --help` and the README; never renumber one, only add.
 */
export const ExitCode = {
  /** The command did what was asked. */
  ok: 0,
  /** get/del: the key does not exist. */
  notFound: 1,
  /** cas/batch: a compare did not hold, so nothing was written (the same code as not found: a "no"). */
  conditionNotMet: 1,
  /** Bad command line: unknown command or option, missing or extra argument, bad value. */
  usage: 2,
  /** The server could not be reached, the connection broke, or the request timed out. */
  unavailable: 3,
  /** The server answered with an error (invalid request, too large, overloaded, ...). */
  requestFailed: 4,
  /**
   * serve: bad configuration, unusable data folder or address, or failure while serving;
   * also check: the data folder is missing, unreadable or in use by a running node.
   */
  serveFailed: 5,
  /**
   * status, cluster members: the group is not healthy (a member unreachable, not yet known or not
   * serving); cluster nodes: a node did not answer; cluster shards: a shard has no leader known.
   */
  unhealthy: 6,
  /** check: the data folder has a checksum failure or other damage. */
  damaged: 7,
  /** serve: this node was removed from its group (it stops, and refuses to start again on the same data). */
  removed: 8,
  /** A bug in FileStore itself (a broken invariant). */
  internal: 70,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code table as printed in `filestore --help`. */
export const exitCodeHelp = `Exit codes:
  0   ok
  1   not found (get, del), or the condition not met (cas, batch: nothing written)
  2   usage error
  3   server unreachable, connection lost or timeout
  4   the server refused the request (invalid, too large, overloaded, ...)
  5   serve could not start or failed while serving; check could not open the data folder (in use, missing)
  6   status, cluster members, nodes, shards: not healthy (a member or node unreachable or not serving; no leader)
  7   check: the data folder is damaged (a checksum failure or other damage)
  8   serve: this node was removed from its group (also when started again on its data)
  70  internal error`;
