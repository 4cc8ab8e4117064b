/**
 * The one-line reason attached to every piece of advice. One format, always starting the same way:
 *
 *   posts: 2 -> 5 replicas; 61% of critical path; p95 240 ms; 14 in flight (target 10 per replica)
 *
 * followed, only when they apply and always in this order, by:
 *   ; CPU 1.8 cores (target 60% per replica)        S is known: λ·S CPU seconds per second are busy
 *   ; panic: last 6 s need 8.4 replicas             the panic window forced the scale-up
 *   ; scale-down to 2 waits for 300 s of lower advice   the HPA-like stabilisation holds replicas up
 * Unchanged advice reads `users: 1 -> 1 replicas; ...`; `p95 n/a` means no request in the window.
 */

export interface ReasonInput {
  subgraph: string;
  currentReplicas: number;
  desiredReplicas: number;
  criticalPathShare: number;
  p95Seconds: number | null;
  inflight: number;
  targetConcurrency: number;
  /** λ·S, CPU seconds per second, and ρ*; absent when S is unknown. */
  cpu?: { cores: number; targetUtilization: number };
  /** The panic window's need, when it forced the advice up. */
  panic?: { windowSeconds: number; replicas: number };
  /** The advice now, when stabilisation keeps the desired count above it. */
  heldDown?: { advice: number; windowSeconds: number };
}

/** Whole numbers from 10 up, two significant digits below: "240", "14", "2.4", "0.35". */
export function formatFigure(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (Math.abs(value) >= 10) return String(Math.round(value));
  return String(Number(value.toPrecision(2)));
}

export function formatPercent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

export function formatReason(input: ReasonInput): string {
  const p95 = input.p95Seconds === null ? 'p95 n/a' : `p95 ${formatFigure(input.p95Seconds * 1000)} ms`;
  const parts = [
    `${input.subgraph}: ${input.currentReplicas} -> ${input.desiredReplicas} replicas`,
    `${formatPercent(input.criticalPathShare)} of critical path`,
    p95,
    `${formatFigure(input.inflight)} in flight (target ${formatFigure(input.targetConcurrency)} per replica)`,
  ];
  if (input.cpu) parts.push(`CPU ${formatFigure(input.cpu.cores)} cores (target ${formatPercent(input.cpu.targetUtilization)} per replica)`);
  if (input.panic) parts.push(`panic: last ${input.panic.windowSeconds} s need ${formatFigure(input.panic.replicas)} replicas`);
  if (input.heldDown) parts.push(`scale-down to ${input.heldDown.advice} waits for ${input.heldDown.windowSeconds} s of lower advice`);
  return parts.join('; ');
}
