/** The in-memory Raft storage passes the storage contract (storage_contract.ts). */
import { MemoryRaftStorage } from "../../../src/cluster/storage/memory_raft_storage.ts";
import { runStorageContract } from "./storage_contract.ts";

runStorageContract("MemoryRaftStorage", async (confState) => new MemoryRaftStorage(confState));
