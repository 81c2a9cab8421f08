/** The socket conformance cases (socket_contract.ts) against node:net: under Bun here, under Node by test:node. */
import { dialNode } from "../../../src/client/node_socket.ts";
import { runSocketContract } from "./socket_contract.ts";

runSocketContract("node:net", dialNode);
