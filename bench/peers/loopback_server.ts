/**
 * The loopback peer's server, run as its own process like every other server in the bench so
 * client and server each get a core: for every request frame it receives, it answers with one
 * reply frame of a fixed size, in order. Usage: bun bench/peers/loopback_server.ts PORT REPLY_BYTES
 */
import { FrameReassembler, WriteQueue, buildFrame } from "../lib/frames.ts";

interface ConnectionState {
  reassembler: FrameReassembler;
  writeQueue: WriteQueue;
}

function serve(port: number, replyPayloadBytes: number): void {
  const reply = buildFrame(replyPayloadBytes);
  Bun.listen<ConnectionState>({
    hostname: "127.0.0.1",
    port,
    socket: {
      open(socket) {
        socket.setNoDelay(true);
        const writeQueue = new WriteQueue(socket);
        socket.data = { writeQueue, reassembler: new FrameReassembler(() => writeQueue.write(reply)) };
      },
      data(socket, chunk) {
        socket.data.reassembler.push(chunk);
      },
      drain(socket) {
        socket.data.writeQueue.flush();
      },
    },
  });
}

if (import.meta.main) {
  const port = Number(process.argv[2]);
  const replyPayloadBytes = Number(process.argv[3]);
  if (!Number.isInteger(port) || port <= 0 || !Number.isInteger(replyPayloadBytes) || replyPayloadBytes < 0) {
    console.error("usage: bun bench/peers/loopback_server.ts PORT REPLY_BYTES");
    process.exit(2);
  }
  serve(port, replyPayloadBytes);
}
