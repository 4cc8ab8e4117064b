// @apollo/gateway reports anonymous usage to Apollo unless told not to.
process.env.APOLLO_TELEMETRY_DISABLED ??= '1';

const { createLogger, exitOnSignals } = await import('@crossfade/kit');
const { loadConfig, startGateway } = await import('./index.ts');

const logger = createLogger('gateway');
let gateway: Awaited<ReturnType<typeof startGateway>>;
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
  gateway = await startGateway(config, logger);
} catch (error) {
  logger.fatal(`gateway failed to start: ${(error as Error).message}`);
  process.exit(1);
}

exitOnSignals(logger, () => gateway.close(), config.shutdownTimeoutMs);
