/**
 * Bad arguments and options are INVALID_REQUEST: the call's promise rejects (never a throw),
 * the error names what is wrong (`argument`), nothing is sent, and the connection carries on.
 * Runs under Bun and Node.js, against a real server process (see round_trips.test.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, FileStoreError, type FileStore } from "filestore";
import type { FileStoreProcess } from "./filestore_process.ts";
import { serverAndClientPerFile } from "./shared_server.ts";

let server: FileStoreProcess;
let db: FileStore;
serverAndClientPerFile((shared) => ({ server, db } = shared));

/** Calls `call`, which must return (not throw) a promise rejecting with INVALID_REQUEST; gives [argument, message]. */
async function refusal(call: () => Promise<unknown>): Promise<[string, string]> {
  let promise: Promise<unknown> | undefined;
  assert.doesNotThrow(() => { promise = call(); });
  const error = await promise!.then(() => null, (caught: unknown) => caught);
  assert.ok(error instanceof FileStoreError, `expected a FileStoreError, got ${String(error)}`);
  assert.equal(error.code, "INVALID_REQUEST", error.message);
  return [error.argument, error.message];
}

/** Loosely typed, as a caller in plain JavaScript would pass them. */
type Loose = Record<string, unknown>;

test("bad connect options reject connect, naming the option", async () => {
  const address = server.clientAddress;
  const cases: [Loose, string][] = [
    [{ timeoutMs: -1 }, "timeoutMs"], [{ timeoutMs: Number.NaN }, "timeoutMs"], [{ timeoutMs: 1.5 }, "timeoutMs"],
    [{ timeoutMs: "1000" }, "timeoutMs"], [{ connectTimeoutMs: 0 }, "connectTimeoutMs"],
    [{ inflightRequestsMax: 0 }, "inflightRequestsMax"], [{ queuedRequestsMax: -1 }, "queuedRequestsMax"],
    [{ frameSizeBytesMax: 10 }, "frameSizeBytesMax"], [{ cluster: "yes" }, "cluster"], [{ timeout: 5 }, "timeout"],
  ];
  for (const [options, argument] of cases) {
    const [named, message] = await refusal(() => connect(address, options as never));
    assert.equal(named, argument, message);
    assert.ok(message.includes(argument), message);
  }
  const [, message] = await refusal(() => connect(address, { timeout: 5 } as never));
  assert.match(message, /unknown connect option "timeout"; did you mean timeoutMs\?/);
});

test("bad addresses reject connect with argument address", async () => {
  const cases: [unknown, RegExp][] = [
    ["127.0.0.1", /address "127.0.0.1" has no port: give HOST:PORT/], ["not an address", /is not HOST:PORT/],
    ["127.0.0.1:70000", /port must be from 1 to 65535/], [[], /list of addresses is empty/],
    [7400, /must be HOST:PORT or a list of them; got 7400/],
  ];
  for (const [address, pattern] of cases) {
    const [argument, message] = await refusal(() => connect(address as never));
    assert.equal(argument, "address");
    assert.match(message, pattern);
  }
});

test("bad read options reject the read, naming the option", async () => {
  const cases: [Loose, string, RegExp][] = [
    [{ consistency: "linearizable" }, "consistency", /must be "strong", "bounded" or "eventual"; got "linearizable"/],
    [{ consistency: "bounded" }, "maxStalenessMs", /"bounded" needs maxStalenessMs/],
    [{ consistency: "bounded", maxStalenessMs: 0 }, "maxStalenessMs", /maxStalenessMs must be an integer from 1/],
    [{ consistency: "bounded", maxStalenessMs: -5 }, "maxStalenessMs", /got -5/],
    [{ maxStalenessMs: 100 }, "maxStalenessMs", /applies only with consistency "bounded"/],
    [{ timeoutMs: -1 }, "timeoutMs", /timeoutMs must be an integer/],
    [{ timeoutMs: Number.NaN }, "timeoutMs", /got NaN/],
    [{ timeoutMs: 2.5 }, "timeoutMs", /got 2.5/], [{ consistancy: "eventual" }, "consistancy", /unknown read option/],
    [{ trace: { traceId: new Uint8Array(3), spanId: new Uint8Array(8) } }, "trace", /16 bytes/],
  ];
  for (const [options, argument, pattern] of cases) {
    const [named, message] = await refusal(() => db.get("k", options as never));
    assert.deepEqual([named, pattern.test(message)], [argument, true], message);
  }
});

test("bad write options, keys and values reject the write", async () => {
  const cases: [() => Promise<unknown>, string][] = [
    [() => db.put("k", "v", { timeoutMs: 0 }), "timeoutMs"],
    [() => db.put("k", "v", { consistency: "eventual" } as never), "consistency"],
    [() => db.delete("k", { timeoutMs: -3 }), "timeoutMs"],
    [() => db.cas("k", null, "v", { timeoutMs: 0.5 }), "timeoutMs"],
    [() => db.batch([{ op: "put", key: "k", value: "v" }], { trace: "x" } as never), "trace"],
    [() => db.put(42 as never, "v"), "key"], [() => db.put("k", { v: 1 } as never), "value"], [() => db.get(""), "key"],
    [() => db.batch([]), "operations"], [() => db.batch([{ op: "upsert", key: "k" } as never]), "operations"],
  ];
  for (const [call, argument] of cases) assert.equal((await refusal(call))[0], argument);
});

test("bad scan options reject the first page", async () => {
  const cases: [Loose, string][] = [
    [{ limit: -1 }, "limit"], [{ limit: 0 }, "limit"], [{ limit: 1.5 }, "limit"], [{ pageSize: 0 }, "pageSize"],
    [{ pageSize: Number.NaN }, "pageSize"], [{ prefix: "a", start: "b" }, "prefix"], [{ start: 5 }, "start"],
    [{ consistency: "bounded" }, "maxStalenessMs"], [{ prefx: "a" }, "prefx"],
  ];
  for (const [options, argument] of cases) {
    const scan = db.scan(options as never);
    assert.equal((await refusal(() => scan.next()))[0], argument);
  }
});

test("after every refusal the connection still serves", async () => {
  await db.put("still", "here", { timeoutMs: 5000 });
  const value = await db.get("still", { consistency: "bounded", maxStalenessMs: 1000, timeoutMs: 5000 });
  assert.equal(new TextDecoder().decode(value!), "here");
});
