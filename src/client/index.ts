/**
 * The public FileStore client.
 *
 *   import { connect, FileStoreError } from "filestore";
 *   const db = await connect("127.0.0.1:7400", { timeoutMs: 1000 });
 *   await db.put("k", "v");                 // { version: bigint }
 *   await db.get("k");                      // Uint8Array | null
 *   for await (const { key, value } of db.scan({ prefix: "k" })) { ... }
 *   await db.close();
 *
 * Every failure is a FileStoreError whose `code` is the wire status (see src/client/errors.ts).
 */
import type { Command, ScanOptions } from "../engine/types";
import type { RequestBody } from "../net/messages";
import { parseAddress } from "./address";
import { ClientCore, resolveClientOptions } from "./client";
import { FileStoreError } from "./errors";
import { LeaderRouter, type RequestSender } from "./leader_router";
import type { ReplyReader } from "./pending_requests";
import { okReply, readApplied, readBatchOutcome, readGetValue, readPutVersion } from "./reply_readers";
import type {
  BatchOperation, BatchOutcome, Bytes, ClientOptions, RequestOptions, ScanEntry, ScanRequestOptions,
} from "./types";

export { FileStoreError, type FileStoreErrorCode } from "./errors";
export type * from "./types";

const encoder = new TextEncoder();
/** Entries per scan request when the caller does not say. */
const scanPageSizeDefault = 1000;

function toBytes(data: Bytes): Uint8Array {
  return typeof data === "string" ? encoder.encode(data) : data;
}

function toKey(key: Bytes): Uint8Array {
  const bytes = toBytes(key);
  if (bytes.length === 0) throw new FileStoreError("INVALID_REQUEST", "key is empty");
  return bytes;
}

function batchCommand(operation: BatchOperation): Exclude<Command, { op: "batch" }> {
  switch (operation.op) {
    case "put":
      return { op: "put", key: toKey(operation.key), value: toBytes(operation.value) };
    case "delete":
      return { op: "delete", key: toKey(operation.key) };
    case "cas":
      return { op: "cas", key: toKey(operation.key), expected: operation.expected === null ? null : toBytes(operation.expected), value: toBytes(operation.value) };
    default:
      throw new FileStoreError("INVALID_REQUEST", `unknown batch operation ${(operation as { op: unknown }).op}`);
  }
}

export class FileStore {
  /** @internal use connect() */
  constructor(private readonly core: RequestSender) {}

  get(key: Bytes, options?: RequestOptions): Promise<Uint8Array | null> {
    // send() inlined: the commonest call makes no closure for its body.
    let body: RequestBody;
    try {
      body = { kind: "get", key: toKey(key) };
    } catch (error) {
      return Promise.reject(error);
    }
    return this.core.request(body, options, readGetValue);
  }

  put(key: Bytes, value: Bytes, options?: RequestOptions): Promise<{ version: bigint }> {
    return this.send(() => writeBody({ op: "put", key: toKey(key), value: toBytes(value) }), options, readPutVersion);
  }

  /** True when the key existed. */
  delete(key: Bytes, options?: RequestOptions): Promise<boolean> {
    return this.send(() => writeBody({ op: "delete", key: toKey(key) }), options, readApplied);
  }

  /** Writes `next` only when the key holds `expected` (null: only when absent); true when it did. */
  cas(key: Bytes, expected: Bytes | null, next: Bytes, options?: RequestOptions): Promise<boolean> {
    return this.send(() => writeBody({
      op: "cas", key: toKey(key), expected: expected === null ? null : toBytes(expected), value: toBytes(next),
    }), options, readApplied);
  }

  /** All or nothing, in one revision. */
  batch(operations: BatchOperation[], options?: RequestOptions): Promise<BatchOutcome> {
    return this.send(() => {
      if (operations.length === 0) throw new FileStoreError("INVALID_REQUEST", "batch is empty");
      return writeBody({ op: "batch", commands: operations.map(batchCommand) });
    }, options, readBatchOutcome);
  }

  /** Entries in key order, fetched a page at a time as the loop asks for them. */
  async *scan(options: ScanRequestOptions = {}): AsyncGenerator<ScanEntry> {
    let remaining = options.limit ?? Infinity;
    const pageSize = options.pageSize ?? scanPageSizeDefault;
    const request: ScanOptions = { limit: 0 };
    if (options.prefix !== undefined) request.prefix = toBytes(options.prefix);
    if (options.start !== undefined) request.start = toBytes(options.start);
    if (options.end !== undefined) request.end = toBytes(options.end);
    while (remaining > 0) {
      request.limit = Math.min(pageSize, remaining);
      const reply = await this.core.request({ kind: "scan", options: request }, options, okReply);
      if (reply.result.kind !== "scan") throw new FileStoreError("INTERNAL", "reply to a scan carries no scan result");
      const { entries, nextCursor } = reply.result;
      const copies = entries.map((entry) => ({ key: entry.key.slice(), value: entry.value.slice(), version: BigInt(entry.version) }));
      const cursor = nextCursor?.slice() ?? null;
      for (const entry of copies) {
        if (remaining-- <= 0) return;
        yield entry;
      }
      if (cursor === null) return;
      request.cursor = cursor;
    }
  }

  /** Lets requests in flight finish (each within its deadline), then closes the connection. */
  close(): Promise<void> {
    return this.core.close();
  }

  /** Sends the body `makeBody` builds; a bad argument (it throws) rejects the call rather than throwing. */
  private send<T>(makeBody: () => RequestBody, options: RequestOptions | undefined, read: ReplyReader<T>): Promise<T> {
    let body: RequestBody;
    try {
      body = makeBody();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.core.request(body, options, read);
  }
}

function writeBody(command: Command): RequestBody {
  return { kind: "write", command };
}

/**
 * Connects to the first address (of one or a list) that answers; throws FileStoreError
 * UNAVAILABLE when none does. With `cluster: true`, the addresses are replicas of one Raft
 * group: requests follow the leader (NOT_LEADER hints) and wait out elections within their
 * deadline (leader_router.ts).
 */
export async function connect(address: string | string[], options: ClientOptions = {}): Promise<FileStore> {
  const list = typeof address === "string" ? [address] : address;
  if (list.length === 0) throw new FileStoreError("INVALID_REQUEST", "no address given");
  const resolved = resolveClientOptions(options);
  if (options.cluster === true) {
    for (const item of list) parseAddress(item);
    return new FileStore(await LeaderRouter.start(list, resolved));
  }
  const core = new ClientCore(list.map(parseAddress), resolved);
  await core.start();
  return new FileStore(core);
}
