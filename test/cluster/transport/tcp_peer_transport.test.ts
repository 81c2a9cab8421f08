import { startTcpPeerTransport } from "../../../src/cluster/transport/tcp_peer_transport.ts";
import { runTransportContract } from "./transport_contract.ts";

runTransportContract("TcpPeerTransport", {
  async start(nodeId, limits, reuseAddress) {
    const port = reuseAddress === undefined ? 0 : Number(reuseAddress.split(":")[1]);
    const transport = await startTcpPeerTransport({ nodeId, clusterId: "test-cluster", listen: { host: "127.0.0.1", port }, peers: new Map(), limits });
    return { transport, address: `127.0.0.1:${transport.listenAddress.port}` };
  },
});
