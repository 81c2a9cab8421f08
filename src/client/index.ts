/**
 * The public FileStore client.
 *
 *   import { connect, FileStoreError } from "filestore";
 *   const db = await connect("127.0.0.1:7400", { timeoutMs: 1000 });   // any node: finds the cluster
 *   const group = await connect(["10.0.0.1:7400", "10.0.0.2:7400"]);  // several nodes, the first that answers
 *   await db.put("k", "v");                 // { version: bigint }
 *   await db.get("k");                      // Uint8Array | null
 *   for await (const { key, value } of db.scan({ prefix: "k" })) { ... }
 *   const { entries, cursor } = await db.scanPage({ prefix: "k", pageSize: 100 });  // resume: { cursor }
 *   await db.close();
 *
 * Every failure is a FileStoreError whose `code` is the wire status (see src/client/errors.ts).
 * Runs under Bun and under Node.js (socket_transport.ts picks the runtime's sockets).
 */
import type { Command, Entry, ScanOptions } from "../engine/types.ts";
import type { RequestBody } from "../net/messages.ts";
import { parseAddress, type Address } from "./address.ts";
import { resolveClientOptions } from "./client_options.ts";
import { connectSender } from "./discovery.ts";
import type { RequestSender } from "./leader_router.ts";
import { MergedScan } from "./merged_scan.ts";
import { invalidArgument, shown } from "./option_checks.ts";
import type { ReplyReader } from "./pending_requests.ts";
import { readApplied, readBatchOutcome, readGetValue, readPutVersion } from "./reply_readers.ts";
import { checkReadOptions, checkScanOptions, checkWriteOptions } from "./request_options.ts";
import { decodeScanCursor, encodeScanCursor } from "./scan_cursor.ts";
import { unroutedScanSource, type ScanSource } from "./scan_source.ts";
import type {
  BatchOperation, BatchOutcome, Bytes, ClientOptions, FileStore, RequestOptions, ScanEntry, ScanPage,
  ScanRequestOptions, WriteOptions,
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

/** The FileStore interface (types.ts) over one server's connection, a replicated group's, or a sharded cluster's. */
class FileStoreClient implements FileStore {
  private readonly scans: ScanSource;

  constructor(private readonly core: RequestSender) {
    this.scans = core.scanSource ?? unroutedScanSource(core);
  }

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
    const merged = this.mergedScan(options);
    let remaining = options.limit ?? Infinity;
    const pageSize = options.pageSize ?? scanPageSizeDefault;
    while (remaining > 0) {
      const size = Math.min(pageSize, remaining);
      const entries = await merged.take(size, size);
      for (const entry of entries) {
        remaining--;
        yield scanEntry(entry);
      }
      if (entries.length < size) return;
    }
  }

  async scanPage(options: ScanRequestOptions = {}): Promise<ScanPage> {
    const merged = this.mergedScan(options);
    const size = Math.min(options.limit ?? Infinity, options.pageSize ?? scanPageSizeDefault);
    const entries = await merged.take(size, size);
    return { entries: entries.map(scanEntry), cursor: merged.finished ? null : encodeScanCursor(merged.progress()) };
  }

  close(): Promise<void> {
    return this.core.close();
  }

  /** A scan's merge of the pieces it visits, from its cursor when given; INVALID_REQUEST for a bad option. */
  private mergedScan(options: ScanRequestOptions): MergedScan {
    checkScanOptions(options);
    const request: ScanOptions = { limit: 0 };
    if (options.prefix !== undefined) request.prefix = toBytes(options.prefix, "prefix");
    if (options.start !== undefined) request.start = toBytes(options.start, "start");
    if (options.end !== undefined) request.end = toBytes(options.end, "end");
    const { timeoutMs, consistency, maxStalenessMs, trace } = options;
    const from = options.cursor === undefined ? null : decodeScanCursor(options.cursor);
    return new MergedScan(this.scans, request, { timeoutMs, consistency, maxStalenessMs, trace }, from);
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

/** An entry as callers get it (the decoder copied its bytes out of the frame already). */
function scanEntry(entry: Entry): ScanEntry {
  return { key: entry.key, value: entry.value, version: BigInt(entry.version) };
}

/**
 * Connects to FileStore; rejects with UNAVAILABLE when no address answers, and with
 * INVALID_REQUEST (naming the argument) for a bad address or option. The first node that
 * answers is asked for the shard map (discovery.ts):
 * - A sharded cluster (any node's address, one or several): every request goes straight to the
 *   leader of its key's shard, one connection per node (shard_router.ts).
 * - Not sharded, a list of addresses (or `cluster: true`): members of one replicated group:
 *   requests go to the leader, follow NOT_LEADER hints and wait out elections within their
 *   deadline (leader_router.ts).
 * - Not sharded, a single address: one server; its answers, NOT_LEADER included, come back as
 *   they are.
 * - `cluster: false`, one address or a list: one server reachable at any of the addresses, the
 *   first that answers used, the next after a lost connection (never to spread load), with no
 *   routing (a node of a sharded cluster answers WRONG_SHARD for keys it does not serve).
 */
export async function connect(address: string | readonly string[], options: ClientOptions = {}): Promise<FileStore> {
  const addresses = parseAddresses(address);
  const resolved = resolveClientOptions(options);
  return new FileStoreClient(await connectSender(addresses, resolved, options.cluster, typeof address !== "string"));
}

function parseAddresses(address: unknown): Address[] {
  if (typeof address === "string") return [parseAddress(address)];
  if (!Array.isArray(address)) {
    throw invalidArgument("address", `address must be HOST:PORT or a list of them; got ${shown(address)}`);
  }
  if (address.length === 0) throw invalidArgument("address", "the list of addresses is empty");
  return address.map(parseAddress);
}
