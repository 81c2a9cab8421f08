/**
 * The public FileStore client.
 *
 *   import { connect, FileStoreError } from "filestore";
 *   const db = await connect("127.0.0.1:7400", { timeoutMs: 1000 });   // one server
 *   const group = await connect(["10.0.0.1:7400", "10.0.0.2:7400"]);  // members of one replicated group
 *   await db.put("k", "v");                 // { version: bigint }
 *   await db.get("k");                      // Uint8Array | null
 *   for await (const { key, value } of db.scan({ prefix: "k" })) { ... }
 *   await db.close();
 *
 * Every failure is a FileStoreError whose `code` is the wire status (see src/client/errors.ts).
 * Runs under Bun and under Node.js (socket_transport.ts picks the runtime's sockets).
 */
import type { Command, ScanOptions } from "../engine/types.ts";
import type { RequestBody } from "../net/messages.ts";
import { parseAddress, type Address } from "./address.ts";
import { ClientCore } from "./client.ts";
import { resolveClientOptions } from "./client_options.ts";
import { FileStoreError } from "./errors.ts";
import { LeaderRouter, type RequestSender } from "./leader_router.ts";
import { invalidArgument, shown } from "./option_checks.ts";
import type { ReplyReader } from "./pending_requests.ts";
import { okReply, readApplied, readBatchOutcome, readGetValue, readPutVersion } from "./reply_readers.ts";
import { checkReadOptions, checkScanOptions, checkWriteOptions } from "./request_options.ts";
import type {
  BatchOperation, BatchOutcome, Bytes, ClientOptions, FileStore, RequestOptions, ScanEntry, ScanRequestOptions,
  WriteOptions,
} from "./types.ts";

export { FileStoreError, type FileStoreErrorCode } from "./errors.ts";
export type * from "./types.ts";

const encoder = new TextEncoder();
/** Entries per scan request when the caller does not say. */
const scanPageSizeDefault = 1000;

function toBytes(data: Bytes, name: string): Uint8Array {
  if (typeof data === "string") return encoder.encode(data);
  if (data instanceof Uint8Array) return data;
  throw invalidArgument(name, `${name} must be a string or a Uint8Array; got ${shown(data)}`);
}

function toKey(key: Bytes): Uint8Array {
  const bytes = toBytes(key, "key");
  if (bytes.length === 0) throw invalidArgument("key", "key is empty");
  return bytes;
}

function batchCommand(operation: BatchOperation): Exclude<Command, { op: "batch" }> {
  switch (operation.op) {
    case "put":
      return { op: "put", key: toKey(operation.key), value: toBytes(operation.value, "value") };
    case "delete":
      return { op: "delete", key: toKey(operation.key) };
    case "cas":
      return {
        op: "cas",
        key: toKey(operation.key),
        expected: operation.expected === null ? null : toBytes(operation.expected, "expected"),
        value: toBytes(operation.value, "value"),
      };
    default:
      const op = shown((operation as { op?: unknown } | null)?.op);
      throw invalidArgument("operations", `unknown batch operation ${op}: give "put", "delete" or "cas"`);
  }
}

/** The FileStore interface (types.ts) over one server's connection or over a replicated group's. */
class FileStoreClient implements FileStore {
  constructor(private readonly core: RequestSender) {}

  get(key: Bytes, options?: RequestOptions): Promise<Uint8Array | null> {
    // send() inlined: the commonest call makes no closure for its body, and checks options only when given.
    let body: RequestBody;
    try {
      body = { kind: "get", key: toKey(key) };
      if (options !== undefined) checkReadOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.core.request(body, options, readGetValue);
  }

  put(key: Bytes, value: Bytes, options?: WriteOptions): Promise<{ version: bigint }> {
    const body = () => writeBody({ op: "put", key: toKey(key), value: toBytes(value, "value") });
    return this.send(body, options, readPutVersion);
  }

  delete(key: Bytes, options?: WriteOptions): Promise<boolean> {
    return this.send(() => writeBody({ op: "delete", key: toKey(key) }), options, readApplied);
  }

  cas(key: Bytes, expected: Bytes | null, next: Bytes, options?: WriteOptions): Promise<boolean> {
    return this.send(() => writeBody({
      op: "cas",
      key: toKey(key),
      expected: expected === null ? null : toBytes(expected, "expected"),
      value: toBytes(next, "value"),
    }), options, readApplied);
  }

  batch(operations: BatchOperation[], options?: WriteOptions): Promise<BatchOutcome> {
    return this.send(() => {
      if (!Array.isArray(operations)) {
        throw invalidArgument("operations", `batch takes an array of operations; got ${shown(operations)}`);
      }
      if (operations.length === 0) throw invalidArgument("operations", "batch is empty");
      return writeBody({ op: "batch", commands: operations.map(batchCommand) });
    }, options, readBatchOutcome);
  }

  async *scan(options: ScanRequestOptions = {}): AsyncGenerator<ScanEntry> {
    checkScanOptions(options);
    let remaining = options.limit ?? Infinity;
    const pageSize = options.pageSize ?? scanPageSizeDefault;
    const request: ScanOptions = { limit: 0 };
    if (options.prefix !== undefined) request.prefix = toBytes(options.prefix, "prefix");
    if (options.start !== undefined) request.start = toBytes(options.start, "start");
    if (options.end !== undefined) request.end = toBytes(options.end, "end");
    const { timeoutMs, consistency, maxStalenessMs, trace } = options;
    const pageOptions: RequestOptions = { timeoutMs, consistency, maxStalenessMs, trace };
    while (remaining > 0) {
      request.limit = Math.min(pageSize, remaining);
      const reply = await this.core.request({ kind: "scan", options: request }, pageOptions, okReply);
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

  close(): Promise<void> {
    return this.core.close();
  }

  /** Sends the body `makeBody` builds; a bad argument or option rejects the call rather than throwing. */
  private send<T>(makeBody: () => RequestBody, options: WriteOptions | undefined, read: ReplyReader<T>): Promise<T> {
    let body: RequestBody;
    try {
      body = makeBody();
      if (options !== undefined) checkWriteOptions(options);
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
 * Connects to FileStore; rejects with UNAVAILABLE when no address answers, and with
 * INVALID_REQUEST (naming the argument) for a bad address or option.
 * - A list of addresses means members of one replicated group (`cluster` defaults to true):
 *   requests go to the leader, follow NOT_LEADER hints and wait out elections within their
 *   deadline (leader_router.ts).
 * - A single address means one server (`cluster` defaults to false): its answers, NOT_LEADER
 *   included, come back as they are. `cluster: true` with one address starts from it and
 *   follows the group's hints.
 * - `cluster: false` with a list: one server reachable at any of the addresses, the first that
 *   answers used, the next after a lost connection (never to spread load across servers).
 */
export async function connect(address: string | readonly string[], options: ClientOptions = {}): Promise<FileStore> {
  const addresses = parseAddresses(address);
  const resolved = resolveClientOptions(options);
  const cluster = options.cluster ?? typeof address !== "string";
  if (cluster) return new FileStoreClient(await LeaderRouter.start(addresses, resolved));
  const core = new ClientCore(addresses, resolved);
  await core.start();
  return new FileStoreClient(core);
}

function parseAddresses(address: unknown): Address[] {
  if (typeof address === "string") return [parseAddress(address)];
  if (!Array.isArray(address)) {
    throw invalidArgument("address", `address must be HOST:PORT or a list of them; got ${shown(address)}`);
  }
  if (address.length === 0) throw invalidArgument("address", "the list of addresses is empty");
  return address.map(parseAddress);
}
