// deploy/Dockerfile and its entrypoint, checked without building (npm run image:smoke builds and runs it).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../scripts/lib/paths.ts';

const dockerfile = fs.readFileSync(path.join(repoRoot, 'deploy/Dockerfile'), 'utf8');
const rootManifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));

describe('deploy/Dockerfile', () => {
  it('copies the manifest of every workspace before npm ci (npm ci fails on a missing one)', () => {
    const copied = [...dockerfile.matchAll(/^COPY (\S+)\/package\.json \1\/$/gm)].map((m) => m[1]);
    expect(copied.sort()).toEqual([...rootManifest.workspaces].sort());
    expect(dockerfile).toMatch(/^COPY package\.json package-lock\.json \.npmrc \.\/$/m);
  });

  it('takes its base image as a build argument, pinned to an official Node 20 image by default', () => {
    const [, base] = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile) ?? [];
    expect(base).toMatch(/^node:20\.\d+\.\d+-[a-z]+-slim$/);
    expect(dockerfile.match(/^FROM \$\{NODE_IMAGE\}/gm)?.length).toBe(2);
  });

  it('runs as a numeric non-root user with the service as its command', () => {
    const users = [...dockerfile.matchAll(/^USER (\S+)$/gm)].map((m) => m[1]);
    expect(users.at(-1)).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/usr\/local\/bin\/crossfade"\]$/m);
  });

  it('leaves local details (certificates, mirrors, paths of this machine) to the caller', () => {
    expect(dockerfile).not.toMatch(/host-ca|\/etc\/ssl|deb\.debian\.org|registry\.npmjs|\/work\//);
  });

  it('has a .dockerignore that keeps local state out and the sources in', () => {
    const ignored = fs
      .readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const pattern of ['**/node_modules', 'dist', 'data', '.git', '.env']) expect(ignored).toContain(pattern);
    for (const needed of ['scripts', 'gateway', 'subgraphs', 'otel', 'supergraph.graphql', 'package-lock.json']) expect(ignored).not.toContain(needed);
  });
});

describe('deploy/entrypoint.sh', () => {
  const entrypoint = path.join(repoRoot, 'deploy/entrypoint.sh');

  it('is a POSIX shell script that sh accepts', () => {
    execFileSync('sh', ['-n', entrypoint]);
    expect(fs.statSync(entrypoint).mode & 0o111).not.toBe(0);
  });

  it('refuses an unknown service with a usage message', () => {
    const result = spawnSync('sh', [entrypoint, 'billing'], { encoding: 'utf8' });
    expect(result.status).toBe(64);
    expect(result.stderr).toContain("unknown service 'billing' (gateway, users, posts or media)");
  });
});
