/** Why a peer frame was refused; the transport counts each reason and closes the connection. */
type PeerFrameRejection = "clientProtocol" | "malformedFrame";

export class PeerFrameError extends Error {
  override name = "PeerFrameError";
  constructor(
    readonly reason: PeerFrameRejection,
    message: string,
  ) {
    super(message);
  }
}
