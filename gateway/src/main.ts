// @apollo/gateway reports anonymous usage to Apollo unless told not to.
process.env.APOLLO_TELEMETRY_DISABLED ??= '1';

const { createLogger } = await import('@crossfade/kit');
const { shutdownTelemetry } = await import('@crossfade/otel');
const { loadConfig, startGateway } = await import('./index.ts');

const logger = createLogger('gateway');
let gateway: Awaited<ReturnType<typeof startGateway>>;
try {
  gateway = await startGateway(loadConfig(), logger);
} catch (error) {
  logger.fatal(`gateway failed to start: ${(error as Error).message}`);
  process.exit(1);
}

const stop = (signal: string) => {
  logger.info({ signal }, 'stopping');
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  gateway
    .close()
    .then(() => shutdownTelemetry())
    .then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
};
process.once('SIGTERM', () => stop('SIGTERM'));
process.once('SIGINT', () => stop('SIGINT'));
