/** The socket conformance cases (socket_contract.ts) against node:net (here under Bun; test/client/node/ runs them under Node). */
import { dialNode } from "../../../src/client/node_socket.ts";
import { runSocketContract } from "./socket_contract.ts";

runSocketContract("node:net", dialNode);
