// The KEDA ScaledObjects in deploy/k8s/components/keda/generated are the scaling advisor's output
// (`npm run advise -- --format keda`), run by the component's generate.sh: regenerate and compare.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { Metric } from '@crossfade/otel/names';
import { k8sDir } from './manifests.ts';

const component = path.join(k8sDir, 'components/keda');
const generatedDir = path.join(component, 'generated');
const yamlFiles = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crossfade-keda-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('KEDA ScaledObjects', () => {
  it('are what the advisor generates from its per-subgraph settings', () => {
    try {
      execFileSync(path.join(component, 'generate.sh'), [tmp], { stdio: 'pipe', encoding: 'utf8', timeout: 60_000 });
    } catch (error) {
      const { stderr, message } = error as { stderr?: string; message: string };
      throw new Error(`deploy/k8s/components/keda/generate.sh failed (the advisor CLI, npm run advise -- --format keda):\n${stderr || message}`);
    }
    const regenerated = yamlFiles(tmp);
    expect(regenerated.length, 'the advisor wrote no ScaledObject').toBeGreaterThan(0);
    expect(yamlFiles(generatedDir), 'file names').toEqual(regenerated);
    const stale = regenerated.filter((f) => fs.readFileSync(path.join(tmp, f), 'utf8') !== fs.readFileSync(path.join(generatedDir, f), 'utf8'));
    expect(stale, 'stale ScaledObjects: run deploy/k8s/components/keda/generate.sh').toEqual([]);
  });

  it('are all listed by the component, and nothing else is', () => {
    const kustomization = parse(fs.readFileSync(path.join(component, 'kustomization.yaml'), 'utf8'));
    expect([...kustomization.resources].sort()).toEqual(yamlFiles(generatedDir).map((f) => `generated/${f}`));
  });

  it('query only metrics that the gateway exports', () => {
    const known = new Set<string>(Object.values(Metric));
    for (const file of yamlFiles(generatedDir)) {
      for (const doc of parseAllDocuments(fs.readFileSync(path.join(generatedDir, file), 'utf8'))) {
        const scaledObject = doc.toJS();
        for (const trigger of scaledObject.spec.triggers.filter((t: { type: string }) => t.type === 'prometheus')) {
          const names = [...trigger.metadata.query.matchAll(/([a-z_:][a-z0-9_:]*)\s*\{/g)].map((m) => m[1].replace(/_(sum|count|bucket)$/, ''));
          expect(names.length, `${file}: ${trigger.metadata.query}`).toBeGreaterThan(0);
          for (const name of names) expect(known.has(name) || known.has(`${name}_total`), `${file}: metric ${name}`).toBe(true);
        }
      }
    }
  });
});
