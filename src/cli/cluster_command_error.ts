/**
 * A cluster command (status, cluster ...) failed: `unreachable` when no admin endpoint answered
 * (exit 3), else the request was refused (exit 4).
 */
export class ClusterCommandError extends Error {
  override name = "ClusterCommandError";
  constructor(message: string, readonly unreachable: boolean) {
    super(message);
  }
}
