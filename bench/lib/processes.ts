/**
 * Child processes of the benchmark: each in its own process group (detached), its output in a
 * log file, stopped with SIGTERM to the whole group then SIGKILL. Whatever ends the benchmark
 * (normal end, error, Ctrl-C, SIGTERM), every group is killed: no server is left running.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Crossfade's gateway as shipped: the node flags deploy/entrypoint.sh gives it. */
export const SHIPPED_GATEWAY_FLAGS = ['--max-semi-space-size=64'];

export interface Managed {
  name: string;
  child: ChildProcess;
  pid: number;
  logFile: string;
  /** Set once the process has exited. */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  exited: Promise<void>;
}

const running = new Set<Managed>();

function killGroup(managed: Managed, signal: NodeJS.Signals): void {
  try {
    process.kill(-managed.pid, signal);
  } catch {
    try {
      managed.child.kill(signal);
    } catch {
      // already gone
    }
  }
}

export interface SpawnOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  logFile: string;
  ipc?: boolean;
}

export function start(name: string, command: string, args: string[], options: SpawnOptions): Managed {
  const log = fs.openSync(options.logFile, 'a');
  const stdio: StdioOptions = options.ipc ? ['ignore', log, log, 'ipc'] : ['ignore', log, log];
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio, detached: true });
  fs.closeSync(log);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const managed: Managed = { name, child, pid: child.pid, logFile: options.logFile, exited: Promise.resolve() };
  managed.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      managed.exit = { code, signal };
      running.delete(managed);
      resolve();
    });
    child.once('error', () => {
      managed.exit ??= { code: null, signal: null };
      running.delete(managed);
      resolve();
    });
  });
  running.add(managed);
  return managed;
}

/** Process ids of every child still running. */
export function runningPids(): number[] {
  return [...running].map((m) => m.pid);
}

export async function stop(managed: Managed, timeoutMs = 10_000): Promise<void> {
  if (managed.exit) return;
  killGroup(managed, 'SIGTERM');
  const timedOut = await Promise.race([managed.exited.then(() => false), sleep(timeoutMs).then(() => true)]);
  if (timedOut) {
    killGroup(managed, 'SIGKILL');
    await managed.exited;
  }
  // Anything the process left in its group goes too.
  killGroup(managed, 'SIGKILL');
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].reverse().map((m) => stop(m)));
}

/** Synchronous last resort (process 'exit' handler). */
export function killAllNow(): void {
  for (const managed of running) killGroup(managed, 'SIGKILL');
}

export function logTail(managed: Managed, lines = 8): string {
  try {
    return fs
      .readFileSync(managed.logFile, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(-lines)
      .map((line) => (line.length > 400 ? `${line.slice(0, 400)}...` : line))
      .join('\n');
  } catch {
    return '(no log)';
  }
}

export function describeExit(managed: Managed): string {
  const { code, signal } = managed.exit ?? { code: null, signal: null };
  return signal ? `${managed.name} was killed by ${signal}` : `${managed.name} exited with code ${code}`;
}

let handlersInstalled = false;
/** Ctrl-C, SIGTERM and SIGHUP stop every child and exit; a second signal kills at once. */
export function installExitHandlers(onSignal?: (signal: NodeJS.Signals) => void): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (stopping) {
        killAllNow();
        process.exit(130);
      }
      stopping = true;
      onSignal?.(signal);
      process.stderr.write(`\n[bench] ${signal}: stopping ${running.size} child process(es)\n`);
      stopAll().finally(() => process.exit(130));
    });
  }
  process.on('exit', killAllNow);
}
