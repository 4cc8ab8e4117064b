export * from './names.ts';
export { shutdownTelemetry } from './shutdown.ts';
export { untraced } from './untraced.ts';
