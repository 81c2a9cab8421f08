/**
 * Malformed and hostile input over real sockets. Each case checks the typed answer, whether the
 * connection was closed, that a bystander on another connection is still served, and that the
 * stored data did not change.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { startServer, type RunningServer } from "../../src/net/server";
import type { ServerLimits } from "../../src/net/limits";
import { MemoryService } from "./memory_service";
import { waitFor } from "../support/wait_for";
import { RawClient } from "./raw_client";
import {
  bytes, envelopeBytes, envelopeWithBodyType, getEnvelope, pingWithConsistency, request, withLengthPrefix, wireFrame,
} from "./wire_fixtures";

let server: RunningServer;
let service: MemoryService;
let bystander: RawClient;
const clients: RawClient[] = [];
let nextBystanderId = 1;

async function restart(limits: Partial<ServerLimits> = {}): Promise<void> {
  await server?.close();
  service = new MemoryService();
  service.entries.set("stored", { value: bytes("safe"), version: 1 });
  server = await startServer({ host: "127.0.0.1", port: 0, service, limits });
  bystander = await connect();
}

async function connect(): Promise<RawClient> {
  const raw = await RawClient.connect(server.port);
  clients.push(raw);
  return raw;
}

/** The bystander still reads the stored value and the store is as it was. */
async function expectUnharmed(): Promise<void> {
  const id = nextBystanderId++;
  bystander.send(wireFrame(request(id, { kind: "get", key: bytes("stored") })));
  expect(await bystander.reply(id)).toEqual({ status: "OK", message: "", leaderHint: "", result: { kind: "get", value: bytes("safe"), version: 1 } });
  expect(service.snapshot()).toEqual([["stored", "safe", 1]]);
}

beforeEach(() => restart());

afterEach(async () => {
  for (const raw of clients.splice(0)) raw.close();
  await server.close();
});

function lengthPrefix(length: number): Uint8Array {
  const prefix = new Uint8Array(4);
  new DataView(prefix.buffer).setUint32(0, length, true);
  return prefix;
}

describe("bad input", () => {
  test("a garbage frame: INVALID_REQUEST, connection closed", async () => {
    const raw = await connect();
    raw.send(withLengthPrefix(Uint8Array.from({ length: 64 }, (_, index) => (index * 97 + 13) & 0xff)));
    const reply = await raw.reply(0);
    expect(reply.status).toBe("INVALID_REQUEST");
    await raw.waitClosed();
    await expectUnharmed();
  });

  test("a length prefix over the frame limit: TOO_LARGE, connection closed", async () => {
    const raw = await connect();
    raw.send(lengthPrefix(0xffff_fff0));
    expect((await raw.reply(0)).status).toBe("TOO_LARGE");
    await raw.waitClosed();
    await expectUnharmed();
  });

  test("a length prefix too small for any envelope: INVALID_REQUEST, connection closed", async () => {
    const raw = await connect();
    raw.send(Buffer.concat([lengthPrefix(3), Uint8Array.of(1, 2, 3)]));
    expect((await raw.reply(0)).status).toBe("INVALID_REQUEST");
    await raw.waitClosed();
    await expectUnharmed();
  });

  test("a truncated frame (length says less than the envelope needs) is refused", async () => {
    const raw = await connect();
    const envelope = envelopeBytes(request(5, { kind: "write", command: { op: "put", key: bytes("stored"), value: bytes("evil") } }));
    raw.send(withLengthPrefix(envelope.subarray(0, Math.floor(envelope.length / 2))));
    await waitFor(() => raw.replies.length > 0, "a reply");
    expect(raw.replies[0]!.reply.status).toBe("INVALID_REQUEST");
    await expectUnharmed();
  });

  test("a stream that ends in the middle of a frame executes nothing", async () => {
    const raw = await connect();
    const frame = wireFrame(request(6, { kind: "write", command: { op: "put", key: bytes("stored"), value: bytes("evil") } }));
    raw.send(frame.subarray(0, frame.length - 3));
    raw.close();
    await waitFor(() => server.stats().connections === 1, "one connection left");
    await expectUnharmed();
  });

  test("offsets pointing outside the frame: INVALID_REQUEST, connection closed", async () => {
    const raw = await connect();
    const envelope = envelopeBytes(request(7, { kind: "ping" }));
    new DataView(envelope.buffer).setUint32(0, envelope.length + 100, true);
    raw.send(withLengthPrefix(envelope));
    expect((await raw.reply(0)).status).toBe("INVALID_REQUEST");
    await raw.waitClosed();
    await expectUnharmed();
  });
});

describe("bad input inside a whole frame", () => {
  test("a request type that does not exist: INVALID_REQUEST for it, connection stays usable", async () => {
    const raw = await connect();
    raw.send(withLengthPrefix(envelopeWithBodyType(8, 42)));
    const reply = await raw.reply(8);
    expect(reply.status).toBe("INVALID_REQUEST");
    expect(reply.message).toContain("unsupported request type 42");
    raw.send(wireFrame(request(9, { kind: "ping" })));
    expect((await raw.reply(9)).status).toBe("OK");
    await expectUnharmed();
  });

  test("an empty key: INVALID_REQUEST; a key over the limit: TOO_LARGE; connection stays usable", async () => {
    const raw = await connect();
    raw.send(withLengthPrefix(getEnvelope(10, new Uint8Array(0))));
    expect((await raw.reply(10)).status).toBe("INVALID_REQUEST");
    raw.send(withLengthPrefix(getEnvelope(11, new Uint8Array(4097).fill(120))));
    expect((await raw.reply(11)).status).toBe("TOO_LARGE");
    const emptyPut = wireFrame(request(12, { kind: "write", command: { op: "put", key: new Uint8Array(0), value: bytes("x") } }));
    raw.send(emptyPut);
    expect((await raw.reply(12)).status).toBe("INVALID_REQUEST");
    raw.send(wireFrame(request(13, { kind: "ping" })));
    expect((await raw.reply(13)).status).toBe("OK");
    await expectUnharmed();
  });

  test("wrong types: a reply sent as a request, an unknown consistency level", async () => {
    const raw = await connect();
    raw.send(withLengthPrefix(envelopeWithBodyType(14, 128)));
    expect((await raw.reply(14)).status).toBe("INVALID_REQUEST");
    raw.send(withLengthPrefix(pingWithConsistency(15, 9)));
    expect((await raw.reply(15)).status).toBe("INVALID_REQUEST");
    await expectUnharmed();
  });

  test("one-byte mutations of a request never crash the server or touch stored data", async () => {
    const original = envelopeBytes(request(99, { kind: "get", key: bytes("absent/key") }));
    let raw = await connect();
    for (let position = 0; position < original.length; position++) {
      for (const value of [0x00, 0x01, 0x7f, 0x80, 0xff, original[position]! ^ 0x04]) {
        if (raw.closed) raw = await connect();
        const mutated = original.slice();
        mutated[position] = value;
        raw.send(withLengthPrefix(mutated));
      }
      // One reply per frame sent on this connection, or the server closed it.
      raw.send(wireFrame(request(1_000_000 + position, { kind: "ping" })));
      const answered = () => raw.closed || raw.replies.some((reply) => reply.requestId === 1_000_000 + position);
      await waitFor(answered, `the ping after mutating byte ${position} answered, or the connection closed`);
    }
    await expectUnharmed();
  }, 30_000);
});

describe("slow and flooding clients", () => {
  test("a client dribbling a frame loses its connection; others are served meanwhile", async () => {
    await restart({ frameReceiveTimeoutMs: 100, sweepIntervalMs: 10 });
    const slow = await connect();
    const frame = wireFrame(request(1, { kind: "get", key: bytes("stored") }));
    let sent = 0;
    while (!slow.closed && sent < frame.length - 1) {
      slow.send(frame.subarray(sent, ++sent));
      await expectUnharmed();
      await Bun.sleep(20);
    }
    await slow.waitClosed();
    expect(slow.replies).toEqual([]);
    await expectUnharmed();
  });

  test("an idle connection is closed after the idle timeout", async () => {
    await restart({ idleTimeoutMs: 50, sweepIntervalMs: 10 });
    const idle = await connect();
    await idle.waitClosed();
    await bystander.waitClosed();
    expect(server.stats().connections).toBe(0);
  });

  test("connections that never send a frame lose their slots, so new clients get in", async () => {
    await restart({ connectionsMax: 4, frameReceiveTimeoutMs: 100, sweepIntervalMs: 10 });
    bystander.send(wireFrame(request(nextBystanderId, { kind: "ping" })));
    await bystander.reply(nextBystanderId++);
    const silent = await Promise.all(Array.from({ length: 3 }, () => connect()));
    await waitFor(() => silent.every((raw) => raw.closed), "every silent connection closed");
    expect(silent.every((raw) => raw.replies.length === 0)).toBe(true);
    const late = await connect();
    late.send(wireFrame(request(1, { kind: "ping" })));
    expect((await late.reply(1)).status).toBe("OK");
    await expectUnharmed();
  });

  test("a connection flood is refused past the limit while existing clients are served", async () => {
    await restart({ connectionsMax: 8 });
    const flood = await Promise.all(Array.from({ length: 30 }, () => connect()));
    await waitFor(() => flood.filter((raw) => raw.closed).length === 30 - 7, "the connections past the limit closed");
    const refused = flood.filter((raw) => raw.closed);
    for (const raw of refused) expect(raw.replies.map((reply) => reply.reply.status)).toEqual(["OVERLOADED"]);
    await expectUnharmed();
    for (const raw of flood) raw.close();
    await waitFor(() => server.stats().connections === 1, "one connection left");
    const late = await connect();
    late.send(wireFrame(request(1, { kind: "ping" })));
    expect((await late.reply(1)).status).toBe("OK");
  });
});
