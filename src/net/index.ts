/** The client-port server, as the program starts it. */
export { startServer } from "./server";
