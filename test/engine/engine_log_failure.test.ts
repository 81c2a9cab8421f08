/** The engine when its log fails: the write is refused, later writes too, reads go on. */
import { describe, expect, test } from "bun:test";
import { Engine } from "../../src/engine/engine.ts";
import { EngineError } from "../../src/engine/errors.ts";
import { MemoryLog } from "./memory_log.ts";
import { bytes, temporaryFolder, text } from "./helpers.ts";

/** A log whose appends fail to become durable (disk full, I/O error) once `failing` is set. */
class FailingLog extends MemoryLog {
  failing = false;

  override append(payloads: Uint8Array[]): Promise<number> {
    const appended = super.append(payloads);
    return this.failing ? appended.then(() => Promise.reject(new Error("disk full"))) : appended;
  }
}

describe("engine when the log fails", () => {
  test("the failed write is refused, later writes are refused, reads go on", async () => {
    await using folder = await temporaryFolder();
    const log = new FailingLog();
    const engine = await Engine.open({ dir: folder.path, log, autoCompaction: false });
    await engine.apply({ op: "put", key: bytes("a"), value: bytes("1") });
    log.failing = true;
    const failed = await engine.apply({ op: "put", key: bytes("b"), value: bytes("2") }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(EngineError);
    expect((failed as EngineError).code).toBe("UNAVAILABLE");
    const later = await engine.apply({ op: "put", key: bytes("c"), value: bytes("3") }).catch((error: unknown) => error);
    expect((later as EngineError).code).toBe("UNAVAILABLE");
    expect(text(engine.get(bytes("a"))!.value)).toBe("1");
    await engine.close();
  });
});
