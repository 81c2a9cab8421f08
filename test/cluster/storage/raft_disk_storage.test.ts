/** The disk Raft storage passes the storage contract (storage_contract.ts). */
import { afterAll } from "bun:test";
import path from "node:path";
import { RaftDiskStorage } from "../../../src/cluster/storage/raft_disk_storage.ts";
import { makeTemporaryDirectory, removeTemporaryDirectory } from "./helpers.ts";
import { runStorageContract } from "./storage_contract.ts";

const root = makeTemporaryDirectory("contract");
afterAll(() => removeTemporaryDirectory(root));
let opened = 0;

runStorageContract("RaftDiskStorage", (confState) =>
  RaftDiskStorage.open(path.join(root, `store-${++opened}`), { fsync: "always", segmentSizeBytes: 256 }, confState),
);
