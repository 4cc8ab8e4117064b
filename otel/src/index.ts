export * from './names.ts';
export { shutdownTelemetry } from './shutdown.ts';
