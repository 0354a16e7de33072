import 'reflect-metadata';
import { createServer } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp, drainConnections } from './app.setup.js';
import { ConfigError } from './config/app-config.js';
import { readConfiguration } from './configuration.js';
import { errorMessage } from './common/error-message.js';

/** How long a stop may take: requests in flight finish within it, or the process exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * How far the old generation may grow past what the last full collection
 * left, in percent, before the next one. V8's own factor (up to 4x on a
 * fast machine) lets deliveries' garbage pile up under load: 45 MB live grew
 * to 120 MB before it was collected, and the RSS to 250 MB. At 50% a full
 * collection comes every few seconds under load and costs no measurable CPU
 * (bench/README.md). `node --heap-growing-percent=N` overrides it.
 */
const HEAP_GROWING_PERCENT = 50;

async function main(): Promise<void> {
  if (!process.execArgv.some((flag) => /^--heap[-_]growing[-_]percent\b/.test(flag))) {
    setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  }
  const configuration = readConfiguration();
  const app = await createApp(configuration);
  stopGracefullyOn(['SIGTERM', 'SIGINT'], app);
  await listenOnAllInterfaces(app, configuration.config.port);
  const { port } = app.getHttpServer().address() as { port: number };
  new Logger('Main').log(`shelfsync listening on port ${port}`);
}

/** Every interface, IPv6 and IPv4, as Node's own default; IPv4 alone where the host has no IPv6. */
async function listenOnAllInterfaces(app: NestFastifyApplication, port: number): Promise<void> {
  await app.listen(port, (await hasIpv6()) ? '::' : '0.0.0.0');
}

/** Whether this host can listen on IPv6 at all (a container may have it off). */
function hasIpv6(): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(0, '::', () => probe.close(() => resolve(true)));
  });
}

/**
 * On a stop signal: accept no new connections, let the requests in flight
 * finish (each commits or rolls back whole), close the database pool (and an
 * embedded server this process runs), then exit 0. Past the timeout, exit 1.
 */
function stopGracefullyOn(signals: NodeJS.Signals[], app: NestFastifyApplication): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => {
      console.error(`shelfsync did not stop within ${SHUTDOWN_TIMEOUT_MS / 1000} s; exiting`);
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    new Logger('Main').log(`received ${signal}: stopping`);
    drainConnections(app);
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`shelfsync stopped with an error: ${errorMessage(error)}`);
        process.exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, () => stop(signal));
}

main().catch((error: unknown) => {
  // One line that says why, instead of a stack: a bad variable, or a database that is not there.
  const reason = error instanceof ConfigError ? error.message : errorMessage(error);
  console.error(`shelfsync cannot start: ${reason}`);
  process.exit(1);
});
