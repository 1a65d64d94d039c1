/** logferry for pino users: a destination (and, as 'logferry/transport', a transport) over the engine. */
export { destination, PinoDestination, type DestinationOptions } from './destination.js'
