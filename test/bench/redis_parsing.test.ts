/** The Redis peer of the benchmarks: RESP encoding and parsing, and reading redis-benchmark's CSV. */
import { describe, expect, test } from "bun:test";
import { BenchError } from "../../bench/lib/errors.ts";
import { parseRedisBenchmarkCsv } from "../../bench/peers/redis_benchmark.ts";
import { encodeCommand, parseReply } from "../../bench/peers/resp_client.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytes = (value: string) => new TextEncoder().encode(value);

describe("RESP", () => {
  test("encodes a command as an array of bulk strings", () => {
    expect(text(encodeCommand(["SET", "k1", new Uint8Array([65, 66])]))).toBe("*3\r\n$3\r\nSET\r\n$2\r\nk1\r\n$2\r\nAB\r\n");
  });

  test("parses bulk, nil and status replies, and waits for the rest of a partial one", () => {
    const buffer = bytes("$3\r\nabc\r\n$-1\r\n+OK\r\n$5\r\nab");
    const first = parseReply(buffer, 0);
    expect(first && text(first.reply as Uint8Array)).toBe("abc");
    const second = parseReply(buffer, first!.next);
    expect(second?.reply).toBeNull();
    const third = parseReply(buffer, second!.next);
    expect(third?.reply).toBeNull();
    expect(parseReply(buffer, third!.next)).toBeUndefined();
  });

  test("an error reply is a typed error", () => {
    expect(() => parseReply(bytes("-ERR wrong type\r\n"), 0)).toThrow(BenchError);
  });
});

describe("redis-benchmark CSV", () => {
  test("reads rps and latency columns by name", () => {
    const output = [
      '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"',
      '"SET","884955.75","0.120","0.040","0.103","0.231","0.367","3.983"',
      '"GET","1190476.25","0.085","0.040","0.087","0.135","0.175","0.463"',
      "",
    ].join("\n");
    expect(parseRedisBenchmarkCsv(output)).toEqual([
      { test: "SET", requestsPerSecond: 884955.75, meanMilliseconds: 0.12, p50Milliseconds: 0.103, p99Milliseconds: 0.367, maxMilliseconds: 3.983 },
      { test: "GET", requestsPerSecond: 1190476.25, meanMilliseconds: 0.085, p50Milliseconds: 0.087, p99Milliseconds: 0.175, maxMilliseconds: 0.463 },
    ]);
  });

  test("output without results or without a needed column is a typed error", () => {
    expect(() => parseRedisBenchmarkCsv("")).toThrow(BenchError);
    expect(() => parseRedisBenchmarkCsv('"test","rps"\n"GET","1"')).toThrow("avg_latency_ms");
  });
});
