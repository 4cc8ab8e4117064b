import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const config = parse(fs.readFileSync(new URL('../collector.yaml', import.meta.url), 'utf8'));

describe('otel/collector.yaml', () => {
  it('wires every pipeline to components it defines', () => {
    const defined = (kind: string) => new Set(Object.keys(config[kind] ?? {}));
    for (const [name, pipeline] of Object.entries<Record<string, string[]>>(config.service.pipelines)) {
      for (const receiver of pipeline.receivers) expect(defined('receivers').has(receiver) || defined('connectors').has(receiver), `${name}: ${receiver}`).toBe(true);
      for (const processor of pipeline.processors ?? []) expect(defined('processors').has(processor), `${name}: ${processor}`).toBe(true);
      for (const exporter of pipeline.exporters) expect(defined('exporters').has(exporter) || defined('connectors').has(exporter), `${name}: ${exporter}`).toBe(true);
    }
    for (const extension of config.service.extensions) expect(defined('extensions').has(extension)).toBe(true);
  });

  it('receives OTLP over HTTP on 4318, turns spans into Prometheus metrics and forwards traces over OTLP', () => {
    expect(config.receivers.otlp.protocols.http.endpoint).toBe('0.0.0.0:4318');
    expect(config.service.pipelines.traces.exporters).toEqual(expect.arrayContaining(['spanmetrics', 'otlp/traces']));
    expect(config.service.pipelines['metrics/spanmetrics']).toMatchObject({ receivers: ['spanmetrics'], exporters: ['prometheus'] });
    expect(config.connectors.spanmetrics.dimensions.map((d: { name: string }) => d.name)).toContain('subgraph.name');
  });
});
