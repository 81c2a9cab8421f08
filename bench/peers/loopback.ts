/**
 * The loopback floor: a raw Bun.listen/Bun.connect exchange with frames the size of a FileStore
 * get request and reply, no decoding, no storage. No FileStore latency can be lower than this on
 * the same machine, so targets are stated as a multiple of it. The server runs as its own
 * process (loopback_server.ts), as FileStore's and Redis's do.
 */
import { startListeningPeer, type RunningPeer } from "../lib/child_process.ts";
import { FramedClient } from "../lib/framed_client.ts";
import { buildFrame } from "../lib/frames.ts";
import type { RequestSender } from "../lib/load.ts";

export type RunningServer = RunningPeer;

export function startLoopbackServer(replyPayloadBytes: number): Promise<RunningServer> {
  const serverScript = new URL("./loopback_server.ts", import.meta.url).pathname;
  return startListeningPeer("loopback", (port) => [process.execPath, serverScript, String(port), String(replyPayloadBytes)]);
}

export interface SenderPool {
  senders: RequestSender[];
  close(): Promise<void>;
}

/** `count` connections, each sending request frames of `requestPayloadBytes`. */
export async function connectLoopbackSenders(port: number, count: number, requestPayloadBytes: number): Promise<SenderPool> {
  const request = buildFrame(requestPayloadBytes);
  const clients = await Promise.all(Array.from({ length: count }, () => FramedClient.connect(port, "loopback server")));
  return {
    senders: clients.map((client) => () => client.request(request)),
    async close() {
      for (const client of clients) client.close();
    },
  };
}
