// npm start: the three subgraphs, then the gateway, as child processes with prefixed output.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { composeSupergraph, readSupergraphConfig, supergraphFileState } from './lib/compose.ts';
import { defaultConfigPath, defaultSupergraphPath, repoRoot } from './lib/paths.ts';

const POLL_INTERVAL_MS = 200;
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 10_000;
/** The first start migrates and seeds the databases, which takes a while; say so instead of looking stuck. */
const SLOW_START_NOTICE_MS = 5_000;

type SubgraphName = 'users' | 'posts' | 'media';
type ServiceName = SubgraphName | 'gateway';

interface Service {
  name: ServiceName;
  entry: string;
  port: number;
  portVariable: string;
}

interface Child {
  service: Service;
  process: ChildProcess;
  /** Settles once the process has exited and its output is drained. */
  closed: Promise<void>;
  exit?: { code: number | null; signal: NodeJS.Signals | null };
}

// ---- output ---------------------------------------------------------------------------------

const useColor = process.stdout.isTTY && process.stdout.hasColors();
const COLORS: Record<ServiceName | 'start', string> = { users: '36', posts: '35', media: '33', gateway: '32', start: '1' };
const PREFIX_WIDTH = Math.max(...Object.keys(COLORS).map((name) => name.length)) + 2;

function prefix(name: ServiceName | 'start'): string {
  const label = `[${name}]`.padEnd(PREFIX_WIDTH);
  return useColor ? `\x1b[${COLORS[name]}m${label}\x1b[0m` : label;
}

const log = (message: string) => process.stdout.write(`${prefix('start')} ${message}\n`);
const logError = (message: string) => process.stderr.write(`${prefix('start')} ${message}\n`);

function pipeLines(name: ServiceName, from: NodeJS.ReadableStream, to: NodeJS.WriteStream): Promise<void> {
  const lines = readline.createInterface({ input: from, crlfDelay: Infinity });
  lines.on('line', (line) => to.write(`${prefix(name)} ${line}\n`));
  return new Promise((resolve) => lines.once('close', resolve));
}

// ---- configuration --------------------------------------------------------------------------

function readPort(variable: string, fallback: number): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  // Port 0 would leave nothing to poll: the stack needs known ports.
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`${variable}=${raw} is not a port number (1-65535)`);
  return value;
}

function service(name: ServiceName, fallbackPort: number): Service {
  const portVariable = `${name.toUpperCase()}_PORT`;
  const entry = name === 'gateway' ? 'gateway/src/main.ts' : `subgraphs/${name}/src/main.ts`;
  return { name, entry, port: readPort(portVariable, fallbackPort), portVariable };
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(true) : reject(error)));
    probe.listen(port, () => probe.close(() => resolve(false)));
  });
}

const localUrl = (service: Service, pathname: string) => `http://localhost:${service.port}${pathname}`;

/** Composes supergraph.yaml and rewrites supergraph.graphql when the subgraph schemas moved on. */
function refreshSupergraph(): void {
  const { supergraphSdl } = composeSupergraph(defaultConfigPath);
  const state = supergraphFileState(defaultSupergraphPath, supergraphSdl);
  if (state === 'fresh') return;
  fs.writeFileSync(defaultSupergraphPath, supergraphSdl);
  log(`supergraph.graphql was ${state === 'missing' ? 'missing' : 'stale'}: composed it again from supergraph.yaml (commit the change)`);
}

/** The gateway must call the subgraphs where this script starts them, even on ports other than supergraph.yaml's. */
function routingOverrides(subgraphs: Service[]): Record<string, string> {
  const config = readSupergraphConfig(defaultConfigPath);
  const env: Record<string, string> = {};
  for (const subgraph of subgraphs) {
    const url = localUrl(subgraph, '/graphql');
    const variable = `SUBGRAPH_${subgraph.name.toUpperCase()}_URL`;
    const configured = config.subgraphs.find((s) => s.name === subgraph.name)?.routingUrl;
    if (process.env[variable] === undefined && configured !== url) env[variable] = url;
  }
  return env;
}

// ---- processes ------------------------------------------------------------------------------

const children: Child[] = [];
/** Aborted when the stack starts shutting down, which ends any wait for readiness. */
const startup = new AbortController();
let stopping = false;
/** Set once all four services answered /ready. */
let stackReady = false;

const isRunning = (child: Child) => child.exit === undefined;

function describeExit(child: Child): string {
  const { code, signal } = child.exit ?? { code: null, signal: null };
  return signal ? `${child.service.name} was killed by ${signal}` : `${child.service.name} exited with code ${code}`;
}

const describeStart = ({ service, process: handle }: Child) => `${service.name} on :${service.port} (pid ${handle.pid})`;

function start(service: Service, env: NodeJS.ProcessEnv): Child {
  // Telemetry is loaded before anything else; OTEL_SERVICE_NAME names the service in traces.
  const processHandle = spawn(process.execPath, ['--import', 'tsx', '--import', './otel/src/register.ts', service.entry], {
    cwd: repoRoot,
    env: { OTEL_SERVICE_NAME: service.name, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a terminal's Ctrl-C reaches only this script, which stops the children
    // with one SIGTERM each instead of them receiving SIGINT and SIGTERM at once.
    detached: true,
  });
  const child: Child = { service, process: processHandle, closed: Promise.resolve() };
  const output = Promise.all([pipeLines(service.name, processHandle.stdout!, process.stdout), pipeLines(service.name, processHandle.stderr!, process.stderr)]);
  const exited = new Promise<void>((resolve) => {
    processHandle.once('exit', (code, signal) => {
      child.exit = { code, signal };
      resolve();
    });
    processHandle.once('error', (error) => {
      logError(`${service.name} could not be started: ${error.message}`);
      child.exit ??= { code: null, signal: null };
      resolve();
    });
  });
  child.closed = Promise.all([exited, output]).then(() => {
    if (stopping) return;
    // Once the stack is up, a subgraph that stops leaves the gateway serving the rest of the graph, as it would
    // in production; before that, or when the gateway itself stops, there is nothing to serve.
    if (stackReady && service.name !== 'gateway') {
      logError(`${describeExit(child)}; the gateway answers SUBGRAPH_UNAVAILABLE for its fields (Ctrl-C, then npm start, to start it again)`);
      return;
    }
    logError(`${describeExit(child)}; stopping the others`);
    void shutdown(1);
  });
  children.push(child);
  return child;
}

let stopped: Promise<never> | undefined;

/** Stops every running child (SIGTERM, then SIGKILL after STOP_TIMEOUT_MS) and exits with `code`. */
function shutdown(code: number): Promise<never> {
  stopping = true;
  startup.abort();
  stopped ??= (async () => {
    const running = children.filter(isRunning);
    if (running.length) log(`stopping ${running.map((c) => c.service.name).join(', ')}`);
    for (const child of running) child.process.kill('SIGTERM');
    const force = setTimeout(() => {
      const stuck = children.filter(isRunning);
      logError(`${stuck.map((c) => c.service.name).join(', ')} did not stop within ${STOP_TIMEOUT_MS / 1000} s: killing`);
      for (const child of stuck) child.process.kill('SIGKILL');
    }, STOP_TIMEOUT_MS);
    await Promise.all(running.map((c) => c.closed));
    clearTimeout(force);
    process.exit(code);
  })();
  return stopped;
}

let firstSignalAt = 0;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (!stopping) {
      firstSignalAt = Date.now();
      log(`${signal}: stopping Crossfade (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again to kill)`);
      void shutdown(0);
      return;
    }
    // Under `npm start` one Ctrl-C can arrive twice (from the terminal and forwarded by npm).
    if (Date.now() - firstSignalAt < 1_000) return;
    const running = children.filter(isRunning);
    if (running.length) logError(`${signal} again: killing ${running.map((c) => c.service.name).join(', ')}`);
    for (const child of running) child.process.kill('SIGKILL');
  });
}

// Whatever ends this process, detached children must not outlive it.
process.on('exit', () => {
  for (const child of children.filter(isRunning)) child.process.kill('SIGKILL');
});

async function isReady(service: Service): Promise<boolean> {
  try {
    const response = await fetch(localUrl(service, '/ready'), { signal: AbortSignal.any([startup.signal, AbortSignal.timeout(2_000)]) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** Resolves once every service answers /ready with 200; false when start-up was aborted. */
async function waitReady(services: Service[]): Promise<boolean> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const notice = Date.now() + SLOW_START_NOTICE_MS;
  let pending = services;
  let noticed = false;
  while (pending.length) {
    if (startup.signal.aborted) return false;
    const ready = await Promise.all(pending.map(isReady));
    pending = pending.filter((_, i) => !ready[i]);
    if (!pending.length) break;
    const names = pending.map((s) => s.name).join(', ');
    if (Date.now() > deadline)
      throw new Error(`${names} did not become ready within ${READY_TIMEOUT_MS / 1000} s (polling ${pending.map((s) => localUrl(s, '/ready')).join(', ')})`);
    if (!noticed && Date.now() > notice) {
      noticed = true;
      log(`waiting for ${names} (a first start migrates and seeds the databases)`);
    }
    await sleep(POLL_INTERVAL_MS, undefined, { signal: startup.signal }).catch(() => {});
  }
  return !startup.signal.aborted;
}

// ---- main -----------------------------------------------------------------------------------

async function main(): Promise<void> {
  const subgraphs = [service('users', 4001), service('posts', 4002), service('media', 4003)];
  const gateway = service('gateway', 4000);
  const services = [...subgraphs, gateway];

  const ports = new Map<number, string>();
  for (const s of services) {
    const other = ports.get(s.port);
    if (other) throw new Error(`${s.portVariable} and ${other} are both ${s.port}`);
    ports.set(s.port, s.portVariable);
    if (!fs.existsSync(path.join(repoRoot, s.entry))) throw new Error(`${s.name}: ${s.entry} does not exist`);
  }
  // A leftover stack would answer /ready in place of the new processes, which are about to fail to listen.
  const adminPort = readPort('ADMIN_PORT', 4090);
  if (ports.has(adminPort)) throw new Error(`ADMIN_PORT and ${ports.get(adminPort)} are both ${adminPort}`);
  for (const [port, variable] of [...services.map((s) => [s.port, `${s.portVariable}, ${s.name}`] as const), [adminPort, 'ADMIN_PORT, gateway admin'] as const]) {
    if (await portInUse(port)) throw new Error(`port ${port} (${variable}) is already in use: is Crossfade already running?`);
  }

  refreshSupergraph();

  // Each service reads its own <NAME>_PORT; PORT is for a service that runs alone and would win over it.
  const { PORT: _ignored, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = { APOLLO_TELEMETRY_DISABLED: '1', ...inherited };

  const started = subgraphs.map((subgraph) => start(subgraph, env));
  log(`starting ${started.map(describeStart).join(', ')}`);
  if (!(await waitReady(subgraphs))) return;

  log(`starting ${describeStart(start(gateway, { ...env, ...routingOverrides(subgraphs) }))}`);
  if (!(await waitReady([gateway]))) return;
  stackReady = true;

  log(`Crossfade is ready: open ${localUrl(gateway, '/graphql')}`);
  log(`metrics and scaling advice: http://localhost:${adminPort}/metrics, http://localhost:${adminPort}/admin`);
  log(`subgraphs (they answer only the gateway): ${subgraphs.map((s) => `${s.name} ${localUrl(s, '/graphql')}`).join(', ')}`);
}

main().catch((error: unknown) => {
  logError(`cannot start: ${error instanceof Error ? error.message : String(error)}`);
  void shutdown(1);
});
