// The demo HTTP server, the warm sandbox pool and call timing, as a library for the CLI and benches.
export { BoundedPool, PoolBusyError, PoolClosedError, type BoundedPoolOptions, type PoolStats } from './bounded-pool';
export { DemoServer, HELLO_MESSAGE, ROUTES, ROUTE_PREFIX, type DemoServerOptions, type DemoServerStats } from './demo-server';
export { summarise, timeSync, timeSyncAndAsync, timeWarmCalls, type CallMode, type TimingSummary, type WarmCallOptions } from './timing';
export { WarmPool, type WarmPoolOptions } from './warm-pool';
