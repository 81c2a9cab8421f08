/**
 * The benchmark's framed TCP client: frames reassembled across chunks, one socket write per turn,
 * refused bytes kept until drain, and pipelined requests answered in order by an in-test server.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { BenchError } from "../../bench/lib/errors.ts";
import { FramedClient } from "../../bench/lib/framed_client.ts";
import { FrameReassembler, WriteQueue, buildFrame, type WritableSocket } from "../../bench/lib/frames.ts";

describe("FrameReassembler", () => {
  test("splits several frames in one chunk and joins a frame cut across chunks", () => {
    const payloads: number[][] = [];
    const reassembler = new FrameReassembler((payload) => payloads.push([...payload]));
    const stream = new Uint8Array([...buildFrame(3), ...buildFrame(0), ...buildFrame(5)]);
    reassembler.push(stream.subarray(0, 2));
    reassembler.push(stream.subarray(2, 9));
    reassembler.push(stream.subarray(9));
    expect(payloads).toEqual([[0, 1, 2], [], [0, 1, 2, 3, 4]]);
  });

  test("a length over the limit is a typed error", () => {
    const reassembler = new FrameReassembler(() => {});
    expect(() => reassembler.push(new Uint8Array([0xff, 0xff, 0xff, 0x7f]))).toThrow(BenchError);
  });
});

/** A socket that accepts at most `acceptBytes` per write, recording what it took. */
function fakeSocket(acceptBytes: number): WritableSocket & { written: number[]; calls: number } {
  const socket = {
    written: [] as number[],
    calls: 0,
    write(data: Uint8Array) {
      socket.calls += 1;
      const taken = Math.min(acceptBytes, data.length);
      socket.written.push(...data.subarray(0, taken));
      return taken;
    },
  };
  return socket;
}

describe("WriteQueue", () => {
  test("writes of one turn go out as one socket write, in order", async () => {
    const socket = fakeSocket(1000);
    const queue = new WriteQueue(socket);
    queue.write(new Uint8Array([1, 2]));
    queue.write(new Uint8Array([3]));
    await Promise.resolve();
    expect(socket.calls).toBe(1);
    expect(socket.written).toEqual([1, 2, 3]);
  });

  test("bytes the socket refused are kept until drain, then sent in order", async () => {
    const socket = fakeSocket(2);
    const queue = new WriteQueue(socket);
    queue.write(new Uint8Array([1, 2, 3, 4, 5]));
    await Promise.resolve();
    expect(socket.written).toEqual([1, 2]);
    queue.write(new Uint8Array([6]));
    await Promise.resolve();
    expect(socket.written).toEqual([1, 2]);
    queue.flush();
    expect(socket.written).toEqual([1, 2, 3, 4]);
    queue.flush();
    queue.flush();
    expect(socket.written).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe("FramedClient against an in-test echo server", () => {
  let stopServer: (() => void) | undefined;
  afterEach(() => stopServer?.());

  test("100 pipelined requests get 100 replies in order", async () => {
    const reply = buildFrame(7);
    const server = Bun.listen<{ reassembler: FrameReassembler }>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(socket) {
          socket.data = { reassembler: new FrameReassembler(() => socket.write(reply)) };
        },
        data(socket, chunk) {
          socket.data.reassembler.push(chunk);
        },
      },
    });
    stopServer = () => server.stop(true);
    const client = await FramedClient.connect(server.port);
    const replies = await Promise.all(Array.from({ length: 100 }, () => client.request(buildFrame(3))));
    client.close();
    expect(replies.length).toBe(100);
    expect(replies.every((payload) => payload.length === 7)).toBe(true);
  });
});
