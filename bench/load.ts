/**
 * The load generator, in a process of its own (started by bench/run.ts with an IPC channel):
 * autocannon over keep-alive connections, each connection with its own requests (so each can
 * carry its own viewer token), every response judged against its reference.
 *
 * Protocol: receive {run, plan} -> warm up -> send {warmed} -> receive {go} -> measure -> send {result} -> exit.
 */
import autocannon from 'autocannon';
import { makeJudge, type ControlMessage, type FailureSample, type LoadMessage, type LoadPlan, type PhaseResult } from './lib/plan.ts';

const MAX_SAMPLES = 5;

function send(message: LoadMessage): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()));
}

function nextMessage(): Promise<ControlMessage> {
  return new Promise((resolve) => process.once('message', (message) => resolve(message as ControlMessage)));
}

async function phase(plan: LoadPlan, seconds: number): Promise<PhaseResult> {
  let ok = 0;
  let wrong = 0;
  const samples: FailureSample[] = [];
  const sampled = new Set<string>();
  let connection = 0;
  const url = new URL(plan.url);
  const result = await autocannon({
    url: url.origin,
    connections: plan.connections,
    duration: seconds,
    timeout: plan.timeoutSeconds,
    // Every response is judged; non-2xx latencies count too.
    excludeErrorStats: false,
    setupClient(client: any) {
      const specs = plan.perConnection[connection++ % plan.perConnection.length];
      client.setRequests(
        specs.map((spec) => {
          const judge = makeJudge(spec.check);
          return {
            method: 'POST',
            path: url.pathname,
            headers: spec.headers,
            body: spec.body,
            onResponse(status: number, body: string) {
              const why = judge(status, body);
              if (why === null) {
                ok++;
                return;
              }
              wrong++;
              const key = `${status} ${why}`;
              if (samples.length < MAX_SAMPLES && !sampled.has(key)) {
                sampled.add(key);
                samples.push({ status, why, body: body.length > 600 ? `${body.slice(0, 600)}...` : body });
              }
            },
          };
        }),
      );
    },
  } as autocannon.Options);
  const responses = ok + wrong;
  return {
    durationSeconds: result.duration,
    responses,
    ok,
    wrong,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    requestsPerSecond: responses / result.duration,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.mean },
    samples,
  };
}

async function main() {
  const first = await nextMessage();
  if (first.type !== 'run') throw new Error(`expected a run message, got ${first.type}`);
  const { plan } = first;
  const warmup = plan.warmupSeconds > 0 ? await phase(plan, plan.warmupSeconds) : null;
  await send({ type: 'warmed', warmup });
  const go = await nextMessage();
  if (go.type !== 'go') throw new Error(`expected go, got ${go.type}`);
  const result = await phase(plan, plan.durationSeconds);
  await send({ type: 'result', result });
  process.disconnect();
}

// The orchestrator going away ends this process too.
process.once('disconnect', () => process.exit(0));
main().catch(async (error: unknown) => {
  await send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }).catch(() => {});
  process.exit(1);
});
