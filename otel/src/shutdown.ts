/** Where register.ts leaves its shutdown function, so services can flush without importing the SDK. */
export const TELEMETRY_SHUTDOWN = Symbol.for('crossfade.telemetry.shutdown');

/** Flushes and stops telemetry if it was started; never throws, never waits longer than `timeoutMs`. */
export async function shutdownTelemetry(timeoutMs = 5000): Promise<void> {
  const shutdown = (globalThis as Record<symbol, unknown>)[TELEMETRY_SHUTDOWN] as (() => Promise<void>) | undefined;
  if (!shutdown) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([shutdown().catch(() => {}), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
}
