// `npm start` as the README gives it: npm, the start script and four services, stopped by a signal.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { SUBGRAPH_NAMES, sqliteTemplate } from '../support/databases.ts';
import { postJson } from '../support/stack.ts';

const PORT_VARIABLES = ['USERS_PORT', 'POSTS_PORT', 'MEDIA_PORT', 'GATEWAY_PORT', 'ADMIN_PORT'];

/** `count` distinct free ports: all held open at once, so none is handed out twice. */
async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => net.createServer());
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

interface NpmStart {
  npm: ChildProcess;
  ports: number[];
  output: string[];
  exited: Promise<number | null>;
}

const running: NpmStart[] = [];
const dirs: string[] = [];

afterEach(async () => {
  // Whatever a test left behind: SIGINT reaches the start script through npm's process group, and it stops the services.
  for (const { npm, ports } of running.splice(0)) {
    try {
      process.kill(-npm.pid!, 'SIGINT');
    } catch {
      // the group is gone
    }
    await portsStillOpen(ports, 10_000);
  }
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs `npm start` in its own process group on free ports, with copies of the seeded SQLite files; resolves once it says it is ready. */
async function npmStart(): Promise<NpmStart> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'crossfade-npm-start-'));
  dirs.push(dataDir);
  const run = inject('testRun');
  for (const name of SUBGRAPH_NAMES) fs.copyFileSync(sqliteTemplate(run, name), path.join(dataDir, `${name}.sqlite`));
  const ports = await freePorts(PORT_VARIABLES.length);
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'info' };
  for (const variable of Object.keys(env)) if (variable.endsWith('DATABASE_URL') || variable === 'PORT') delete env[variable];
  PORT_VARIABLES.forEach((variable, i) => (env[variable] = String(ports[i])));
  const npm = spawn('npm', ['start'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const started: NpmStart = { npm, ports, output: [], exited: new Promise((resolve) => npm.once('exit', resolve)) };
  running.push(started);
  const ready = new Promise<void>((resolve, reject) => {
    for (const stream of [npm.stdout!, npm.stderr!])
      readline.createInterface({ input: stream }).on('line', (line) => {
        started.output.push(line);
        if (line.includes('Crossfade is ready')) resolve();
      });
    void started.exited.then((code) => reject(new Error(`npm start exited (${code}) before it was ready:\n${started.output.join('\n')}`)));
  });
  await ready;
  expect(await Promise.all(ports.map(listening))).toEqual(ports.map(() => true));
  return started;
}

/** Waits until none of the ports answers, or `ms` passed; returns those still answering. */
async function portsStillOpen(ports: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const up = await Promise.all(ports.map(listening));
    const open = ports.filter((_, i) => up[i]);
    if (!open.length || Date.now() > deadline) return open;
    await sleep(200);
  }
}

/** The pid the start script gave for `name` ("posts on :4002 (pid 123)"). */
function pidOf(stack: NpmStart, name: string): number {
  const match = stack.output.join('\n').match(new RegExp(`${name} on :\\d+ \\(pid (\\d+)\\)`));
  if (!match) throw new Error(`no pid for ${name} in:\n${stack.output.join('\n')}`);
  return Number(match[1]);
}

describe('npm start', () => {
  it('keeps the gateway serving the rest of the graph when a subgraph stops, and stops everything when the gateway does', async () => {
    const stack = await npmStart();
    process.kill(pidOf(stack, 'posts'), 'SIGKILL');
    await vi.waitFor(() => expect(stack.output.join('\n')).toMatch(/posts was killed by SIGKILL; the gateway answers SUBGRAPH_UNAVAILABLE/), { timeout: 10_000, interval: 100 });

    const gateway = stack.ports[PORT_VARIABLES.indexOf('GATEWAY_PORT')];
    const url = `http://127.0.0.1:${gateway}/graphql`;
    const posts = await postJson(url, { query: '{ recentPosts(first: 1) { edges { node { id } } } }' });
    expect(posts.body.errors?.[0]?.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'posts' });
    expect((await postJson(url, { query: '{ user(handle: "alice") { handle } }' })).body).toEqual({ data: { user: { handle: 'alice' } } });
    // Only posts' port is closed (ports in PORT_VARIABLES' order).
    expect(await Promise.all(stack.ports.map(listening))).toEqual(PORT_VARIABLES.map((variable) => variable !== 'POSTS_PORT'));

    process.kill(pidOf(stack, 'gateway'), 'SIGKILL');
    expect(await stack.exited).toBe(1);
    expect(await portsStillOpen(stack.ports, 15_000)).toEqual([]);
    expect(stack.output.join('\n')).toMatch(/gateway was killed by SIGKILL; stopping the others/);
  });

  it('stops all four services when only npm is sent SIGTERM (a process manager, `timeout npm start`)', async () => {
    const stack = await npmStart();
    process.kill(stack.npm.pid!, 'SIGTERM');
    await stack.exited;
    expect(await portsStillOpen(stack.ports, 15_000)).toEqual([]);
    expect(stack.output.join('\n')).toMatch(/SIGTERM: stopping Crossfade/);
  });

  it('stops all four services cleanly on Ctrl-C, though the start script gets SIGINT from the terminal and from npm', async () => {
    const stack = await npmStart();
    process.kill(-stack.npm.pid!, 'SIGINT');
    await stack.exited;
    expect(await portsStillOpen(stack.ports, 15_000)).toEqual([]);
    const output = stack.output.join('\n');
    expect(output).toMatch(/SIGINT: stopping Crossfade/);
    expect(output).not.toMatch(/again: killing|did not stop/);
    for (const name of [...SUBGRAPH_NAMES, 'gateway']) expect(output).toMatch(new RegExp(`"service":"${name}".*"signal":"SIGTERM","msg":"stopping"`));
  });
});
