/**
 * Wire statuses by name. The names are what callers see (`FileStoreError.code`, metrics
 * labels, service errors' `code`); the numbers are the schema's `Status` enum.
 */
import { Status } from "../../schemas/generated/filestore_generated";

export const statusByName = {
  OK: Status.Ok,
  NOT_FOUND: Status.NotFound,
  NOT_LEADER: Status.NotLeader,
  TIMEOUT: Status.Timeout,
  INVALID_REQUEST: Status.InvalidRequest,
  TOO_LARGE: Status.TooLarge,
  OVERLOADED: Status.Overloaded,
  UNAUTHORIZED: Status.Unauthorized,
  CONFLICT: Status.Conflict,
  UNAVAILABLE: Status.Unavailable,
  INTERNAL: Status.Internal,
  DEADLOCK: Status.Deadlock,
  LOCK_EXPIRED: Status.LockExpired,
  WRONG_SHARD: Status.WrongShard,
} as const;

export type StatusName = keyof typeof statusByName;

const nameByStatus = new Map<number, StatusName>(
  Object.entries(statusByName).map(([name, value]) => [value, name as StatusName]),
);

/** The name of a wire status; a number this build does not know reads as INTERNAL. */
export function statusName(status: number): StatusName {
  return nameByStatus.get(status) ?? "INTERNAL";
}

export function isStatusName(code: unknown): code is StatusName {
  return typeof code === "string" && Object.hasOwn(statusByName, code);
}

/**
 * A request the server refuses before executing it. `fatal` means the stream itself can no
 * longer be trusted (framing or envelope broken): the connection is closed after the reply.
 */
export class RequestRejection extends Error {
  override name = "RequestRejection";
  constructor(
    readonly status: StatusName,
    message: string,
    readonly requestId: number,
    readonly fatal: boolean,
  ) {
    super(message);
  }
}
