/**
 * Load for FileStore: gets and puts of the bench keys through the public client, and gets as
 * pre-encoded raw frames (to measure the server without the client library).
 */
import { encodeGetFrame } from "../../src/net/get_request_layout.ts";
import * as defaults from "./defaults.ts";
import { BenchError } from "./errors.ts";
import type { FileStoreClient } from "./filestore_runner.ts";
import { FramedClient } from "./framed_client.ts";
import type { RequestSender } from "./load.ts";
import type { SenderPool } from "../peers/loopback.ts";

const encoder = new TextEncoder();
const benchKeys = Array.from({ length: defaults.keyspaceCount }, (_, index) => encoder.encode(defaults.benchKey(index)));

export async function populateFileStore(client: FileStoreClient): Promise<void> {
  const value = defaults.benchValue();
  for (let start = 0; start < benchKeys.length; start += defaults.populateBatchCount) {
    const batch = benchKeys.slice(start, start + defaults.populateBatchCount);
    await Promise.all(batch.map((key) => client.put(key, value)));
  }
}

/** Each client walks the keyspace from its own offset; every reply must be a whole value. */
export function fileStoreGetSenders(clients: FileStoreClient[]): RequestSender[] {
  return clients.map((client, clientIndex) => {
    let next = clientIndex * defaults.clientKeyStride;
    return async () => {
      const value = await client.get(benchKeys[next % benchKeys.length]);
      next += 1;
      if (value === null || value.length !== defaults.valueSizeBytes) {
        throw new BenchError(`filestore get returned ${value === null ? "null" : `${value.length} bytes`}`);
      }
    };
  });
}

export function fileStorePutSenders(clients: FileStoreClient[]): RequestSender[] {
  const value = defaults.benchValue(1);
  return clients.map((client, clientIndex) => {
    let next = clientIndex * defaults.clientKeyStride;
    return async () => {
      await client.put(benchKeys[next % benchKeys.length], value);
      next += 1;
    };
  });
}

/**
 * Pre-encoded get frames over the raw framed client. Replies are paired first in, first out
 * (the server may answer out of order, so a single latency can belong to another request;
 * throughput and the distribution stay right). Request ids cycle through the keyspace, far more
 * than the requests in flight, so ids in flight on one connection stay unique.
 */
export async function connectRawGetSenders(address: string, count: number): Promise<SenderPool> {
  // Laid out as the client library lays out its gets, so the server takes the same path for both.
  const frames = benchKeys.map((key, index) => encodeGetFrame(index + 1, "strong", 0, 0, 0, 0, key));
  const port = Number(address.slice(address.lastIndexOf(":") + 1));
  const clients = await Promise.all(Array.from({ length: count }, () => FramedClient.connect(port, "filestore server")));
  // The server drops connections whose first frame is late (flood protection): speak at once.
  await Promise.all(clients.map((client) => client.request(frames[0])));
  const senders: RequestSender[] = clients.map((client, clientIndex) => {
    let next = clientIndex * defaults.clientKeyStride;
    return async () => {
      const reply = await client.request(frames[next % frames.length]);
      next += 1;
      if (reply.length < defaults.valueSizeBytes) throw new BenchError(`raw get got a ${reply.length}-byte reply, not a value`);
    };
  });
  return {
    senders,
    async close() {
      for (const client of clients) client.close();
    },
  };
}
