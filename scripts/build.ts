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

const entries: Record<string, string> = {
  'gateway/main': 'gateway/src/main.ts',
  ...Object.fromEntries(SUBGRAPHS.map((s) => [`subgraphs/${s}/src/main`, `subgraphs/${s}/src/main.ts`])),
};
const register = path.join(repoRoot, 'otel/src/register.ts');
if (fs.existsSync(register)) entries['otel/register'] = 'otel/src/register.ts';

fs.rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: repoRoot,
  entryPoints: entries,
  outdir,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  external: externalPackages().flatMap((name) => [name, `${name}/*`]),
  // Bundled CommonJS helpers need require() in an ES module.
  banner: { js: "import { createRequire as __crossfadeRequire } from 'node:module'; const require = __crossfadeRequire(import.meta.url);" },
  logLevel: 'warning',
});
// Each subgraph finds its SDL next to its src/ folder, as in the source tree.
for (const name of SUBGRAPHS) fs.copyFileSync(path.join(repoRoot, `subgraphs/${name}/schema.graphql`), path.join(outdir, `subgraphs/${name}/schema.graphql`));
console.log(`built ${Object.keys(entries).length} entries into ${path.relative(process.cwd(), outdir) || outdir}`);
