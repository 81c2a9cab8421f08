/**
 * A key-value replica assembled: the key-value machine restored beside its Raft storage
 * (key_value_start.ts), the member address book on its side (member_address_book.ts), and a
 * replica driver running them (replica/replica_driver.ts). Used by a node (cluster_node.ts) and by
 * the in-process cluster of the driver tests, so both start a replica the same way.
 */
import type { Engine } from "../engine/engine.ts";
import { silentLogger } from "../util/logger.ts";
import type { MemberAddresses } from "./entry_payload_codec.ts";
import type { KeyValueMachine, WriteOutcome } from "./key_value_machine.ts";
import { restoreKeyValueMachine } from "./key_value_start.ts";
import { MemberAddressBook } from "./member_address_book.ts";
import { ReplicaDriver, type ReplicaDriverOptions } from "./replica/replica_driver.ts";
import type { PeerAddresses } from "./transport/types.ts";

export type KeyValueDriver = ReplicaDriver<WriteOutcome, KeyValueMachine>;

export interface KeyValueReplicaOptions extends Omit<ReplicaDriverOptions<KeyValueMachine>, "machine" | "events"> {
  engine: Engine;
  /** Peer addresses known from the start (--peers), by node id; this node's own is allowed. */
  peers: PeerAddresses;
  /** Where this node is reached; a leader announces them in the log. See MemberAddressBook.setSelf. */
  self: MemberAddresses;
}

interface KeyValueReplica {
  driver: KeyValueDriver;
  addresses: MemberAddressBook;
}

export async function startKeyValueReplica(options: KeyValueReplicaOptions): Promise<KeyValueReplica> {
  const { engine, peers, self, ...driverOptions } = options;
  const machine = await restoreKeyValueMachine(engine, options.storage, options.logger ?? silentLogger);
  const addresses = new MemberAddressBook(options.nodeId, machine, options.transport, peers, self);
  const driver: KeyValueDriver = ReplicaDriver.start({ ...driverOptions, machine, events: addresses });
  addresses.attach(driver);
  return { driver, addresses };
}
