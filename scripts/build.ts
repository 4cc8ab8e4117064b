/**
 * Compiles every service to plain JavaScript under dist/ (one ESM bundle per entry; npm packages stay
 * external and load from node_modules), for production images and benchmarks:
 *   node --import ./dist/otel/register.js dist/gateway/main.js
 *   node --import ./dist/otel/register.js dist/subgraphs/users/src/main.js
 */
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from './lib/paths.ts';

const SUBGRAPHS = ['users', 'posts', 'media'];
const outdir = path.join(repoRoot, 'dist');

function externalPackages(): string[] {
  const names = new Set<string>();
  for (const dir of ['.', 'otel', 'gateway', ...SUBGRAPHS.map((s) => `subgraphs/${s}`), 'subgraphs/kit']) {
    const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, dir, 'package.json'), 'utf8'));
    for (const name of Object.keys({ ...manifest.dependencies, ...manifest.devDependencies })) {
      if (!name.startsWith('@crossfade/')) names.add(name);
    }
  }
  return [...names];
}

const services: Record<string, string> = {
  'gateway/main': 'gateway/src/main.ts',
  ...Object.fromEntries(SUBGRAPHS.map((s) => [`subgraphs/${s}/src/main`, `subgraphs/${s}/src/main.ts`])),
};
const external = externalPackages();
const common = {
  absWorkingDir: repoRoot,
  outdir,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  // Bundled CommonJS helpers need require() in an ES module.
  banner: { js: "import { createRequire as __crossfadeRequire } from 'node:module'; const require = __crossfadeRequire(import.meta.url);" },
  logLevel: 'warning',
} as const;

fs.rmSync(outdir, { recursive: true, force: true });
await build({ ...common, entryPoints: services, external: external.flatMap((name) => [name, `${name}/*`]) });
// The SDK needs @opentelemetry/* 2.x, while @apollo/gateway hoists 1.x copies of some of them to the root
// node_modules, where dist/ would resolve them: the bootstrap carries its own (all but the shared API).
await build({
  ...common,
  entryPoints: { 'otel/register': 'otel/src/register.ts', 'otel/export-worker': 'otel/src/export-worker.ts' },
  external: external.filter((name) => !name.startsWith('@opentelemetry/') || name === '@opentelemetry/api').flatMap((name) => [name, `${name}/*`]),
});
const entries = { ...services, 'otel/register': '', 'otel/export-worker': '' };
// Each subgraph finds its SDL next to its src/ folder, as in the source tree.
for (const name of SUBGRAPHS) fs.copyFileSync(path.join(repoRoot, `subgraphs/${name}/schema.graphql`), path.join(outdir, `subgraphs/${name}/schema.graphql`));
console.log(`built ${Object.keys(entries).length} entries into ${path.relative(process.cwd(), outdir) || outdir}`);
