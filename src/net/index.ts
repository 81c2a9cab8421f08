/** The client-port server and what a caller needs to run it. */
export { startServer, type RunningServer, type ServerOptions, type ServerStats } from "./server";
export { ServiceError, type KeyValueService, type ReadContext } from "./key_value_service";
export { resolveLimits, limitDefinitions, LimitsError, type ServerLimits } from "./limits";
export { noopObserver, type ServerObserver } from "./observer";
export type { StatusName } from "./status";
