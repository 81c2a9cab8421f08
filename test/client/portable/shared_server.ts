/**
 * One real server and one client connected to it for all the tests of a portable client file:
 * started before the first test, closed after the last. node:test hooks, so the file runs under
 * Bun and under Node.js alike.
 */
import { after, before } from "node:test";
import { connect, type FileStore } from "filestore";
import { startFileStore, type FileStoreProcess } from "./filestore_process.ts";

/** Longest a request of the shared client may take: generous for a loaded 2-core machine. */
const clientTimeoutMs = 10_000;

/** Call once at the top of a test file; `ready` gets the server and client before the first test. */
export function serverAndClientPerFile(ready: (shared: { server: FileStoreProcess; db: FileStore }) => void): void {
  let server: FileStoreProcess | undefined;
  let db: FileStore | undefined;
  before(async () => {
    server = await startFileStore();
    db = await connect(server.clientAddress, { timeoutMs: clientTimeoutMs });
    ready({ server, db });
  });
  after(async () => {
    await db?.close();
    await server?.stop();
  });
}
