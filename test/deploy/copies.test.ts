// Files that the kustomize base copies from the repository (a generator cannot read outside its folder):
// each copy must be current, and the collector's configuration must fit the Deployment that runs it.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { k8sDir, renderKustomization } from './manifests.ts';

const read = (file: string) => fs.readFileSync(path.join(repoRoot, file), 'utf8');

describe('copies in deploy/k8s/base', () => {
  it('supergraph.graphql is the repository supergraph', () => {
    const fresh = read('deploy/k8s/base/supergraph.graphql') === read('supergraph.graphql');
    expect(fresh, 'deploy/k8s/base/supergraph.graphql is stale: run npm run compose').toBe(true);
  });

  it('collector.yaml is otel/collector.yaml', () => {
    const fresh = read('deploy/k8s/base/collector.yaml') === read('otel/collector.yaml');
    expect(fresh, 'deploy/k8s/base/collector.yaml is stale: cp otel/collector.yaml deploy/k8s/base/collector.yaml').toBe(true);
  });
});

describe('the collector Deployment and its configuration', () => {
  const config = parse(read('deploy/k8s/base/collector.yaml'));
  const objects = renderKustomization(path.join(k8sDir, 'base'));
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'otel-collector')!;
  const container = deployment.spec.template.spec.containers[0];
  const portOf = (endpoint: string) => Number(/:(\d+)$/.exec(endpoint)?.[1]);

  it('exposes exactly the ports the configuration listens on', () => {
    const listening = [
      portOf(config.receivers.otlp.protocols.grpc.endpoint),
      portOf(config.receivers.otlp.protocols.http.endpoint),
      portOf(config.exporters.prometheus.endpoint),
      portOf(config.extensions.health_check.endpoint),
    ];
    if (config.service.telemetry?.metrics?.address) listening.push(portOf(config.service.telemetry.metrics.address));
    expect(container.ports.map((p: { containerPort: number }) => p.containerPort).sort()).toEqual(listening.sort());
    const health = container.ports.find((p: { containerPort: number }) => p.containerPort === portOf(config.extensions.health_check.endpoint));
    expect(container.readinessProbe.httpGet.port).toBe(health.name);
    expect(container.livenessProbe.httpGet.port).toBe(health.name);
  });

  it('reads the configuration file the ConfigMap provides', () => {
    const mount = container.volumeMounts.find((m: { name: string }) => m.name === 'config');
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('otel-collector-config'))!;
    const [file] = Object.keys(configMap.data);
    expect(container.args).toContain(`--config=${mount.mountPath}/${file}`);
  });

  it('sets every environment variable the configuration reads without a default', () => {
    const text = read('deploy/k8s/base/collector.yaml');
    const required = [...text.matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}/g)].filter((m) => !m[2]).map((m) => m[1]);
    const set = new Set((container.env ?? []).map((e: { name: string }) => e.name));
    expect(required.filter((name) => !set.has(name))).toEqual([]);
    // The manifests always say where traces go rather than rely on the file's default.
    expect(set.has('TRACES_OTLP_ENDPOINT')).toBe(true);
  });
});
