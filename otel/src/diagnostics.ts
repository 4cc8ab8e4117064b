import { diag, DiagLogLevel } from '@opentelemetry/api';
import { setGlobalErrorHandler } from '@opentelemetry/core';

export type Report = (kind: 'error' | 'warning' | 'configuration', message: string) => void;

export const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Routes the SDK's errors and warnings (a failed export, a bad setting) to `report`, never into a request. */
export function routeDiagnostics(report: Report): void {
  setGlobalErrorHandler((error) => report('error', messageOf(error)));
  diag.setLogger({ error: (m) => report('error', m), warn: (m) => report('warning', m), info() {}, debug() {}, verbose() {} }, DiagLogLevel.WARN);
}
