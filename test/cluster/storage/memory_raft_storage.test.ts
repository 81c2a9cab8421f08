import { MemoryRaftStorage } from "../../../src/cluster/storage/memory_raft_storage.ts";
import { runStorageContract } from "./storage_contract.ts";

runStorageContract("MemoryRaftStorage", async (confState) => new MemoryRaftStorage(confState));
