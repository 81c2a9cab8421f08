/** The socket conformance cases (socket_contract.ts) against Bun's own sockets. */
import { dialBun } from "../../../src/client/bun_socket.ts";
import { runSocketContract } from "./socket_contract.ts";

runSocketContract("Bun", dialBun);
