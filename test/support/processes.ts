import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { inject } from 'vitest';
import { composeSupergraph } from '../../scripts/lib/compose.ts';
import { defaultConfigPath, repoRoot } from '../../scripts/lib/paths.ts';
import { copyDatabase, SUBGRAPH_NAMES, type DatabaseCopy, type SubgraphName } from './databases.ts';

/** A service running as its own process, with telemetry loaded as in production. */
export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** Every JSON line it has logged so far on stdout. */
  logs: Record<string, any>[];
  /** Its standard error, line by line. */
  stderr: string[];
  /** The line that announced it was ready. */
  ready: Record<string, any>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const READY_TIMEOUT_MS = 30_000;

export function spawnService(name: string, entry: string, env: NodeJS.ProcessEnv): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', './otel/src/register.ts', entry], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'info', OTEL_SERVICE_NAME: name, APOLLO_TELEMETRY_DISABLED: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, any>[] = [];
  const stderr: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  readline.createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} was not ready within ${READY_TIMEOUT_MS} ms\n${stderr.join('\n')}`));
    }, READY_TIMEOUT_MS);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready\n${stderr.join('\n')}\n${logs.map((l) => JSON.stringify(l)).join('\n')}`));
    });
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, any>;
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      logs.push(entry);
      if (typeof entry.msg === 'string' && / ready$/.test(entry.msg) && entry.url) {
        clearTimeout(timer);
        resolve({
          name,
          child,
          logs,
          stderr,
          ready: entry,
          exited,
          stop(signal = 'SIGTERM') {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    });
  });
}

export interface ProcessStack {
  gateway: ServiceProcess;
  subgraphs: Record<SubgraphName, ServiceProcess>;
  /** Starts a subgraph again on the port and database it had (after it was stopped or killed). */
  restart(name: SubgraphName): Promise<ServiceProcess>;
  url: string;
  adminUrl: string;
  /** Stops the gateway first, then the subgraphs; returns each exit. */
  stop(): Promise<Record<string, { code: number | null; signal: NodeJS.Signals | null }>>;
}

/** The whole stack as four processes on port 0 (SQLite copies), with the given environment. */
export async function startProcessStack(env: NodeJS.ProcessEnv = {}): Promise<ProcessStack> {
  const run = inject('testRun');
  const copies: DatabaseCopy[] = [];
  const started: ServiceProcess[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crossfade-procs-'));
  const cleanup = async () => {
    await Promise.all(started.map((s) => s.stop('SIGKILL')));
    await Promise.all(copies.map((c) => c.drop()));
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const databases = new Map<string, string>();
    const startSubgraph = async (name: SubgraphName, port = '0') => {
      const service = await spawnService(name, `subgraphs/${name}/src/main.ts`, { PORT: port, HOST: '127.0.0.1', DATABASE_URL: databases.get(name), ...env });
      started.push(service);
      return service;
    };
    const subgraphs = await Promise.all(
      SUBGRAPH_NAMES.map(async (name) => {
        const copy = await copyDatabase(run, name, 'sqlite');
        copies.push(copy);
        databases.set(name, copy.sqliteFile!);
        return startSubgraph(name);
      }),
    );
    const byName = Object.fromEntries(subgraphs.map((s) => [s.name, s])) as Record<SubgraphName, ServiceProcess>;
    const { supergraphSdl } = composeSupergraph(defaultConfigPath, Object.fromEntries(subgraphs.map((s) => [s.name, s.ready.url])));
    const supergraphPath = path.join(dir, 'supergraph.graphql');
    fs.writeFileSync(supergraphPath, supergraphSdl);
    const gateway = await spawnService('gateway', 'gateway/src/main.ts', { GATEWAY_PORT: '0', ADMIN_PORT: '0', HOST: '127.0.0.1', SUPERGRAPH_PATH: supergraphPath, ...env });
    started.push(gateway);
    return {
      gateway,
      subgraphs: byName,
      async restart(name) {
        await byName[name].stop('SIGKILL');
        byName[name] = await startSubgraph(name, new URL(byName[name].ready.url).port);
        return byName[name];
      },
      url: gateway.ready.url,
      adminUrl: gateway.ready.adminUrl,
      async stop() {
        const exits: Record<string, { code: number | null; signal: NodeJS.Signals | null }> = {};
        exits.gateway = await gateway.stop();
        for (const name of SUBGRAPH_NAMES) exits[name] = await byName[name].stop();
        await cleanup();
        return exits;
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
