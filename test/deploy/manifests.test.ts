// deploy/k8s rendered with kustomize and checked offline: schemas, strict fields, and the rules every
// Crossfade workload follows (probes, resources, pinned images, non-root read-only containers, a PDB per
// Deployment, references that resolve, network policies that select what they mean).
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { containersOf, dataOf, idOf, matches, OVERLAYS, podSpecOf, renderOverlay, schemaErrors, strictFieldErrors, type K8sObject, type Overlay } from './manifests.ts';

const SUBGRAPHS = { users: 4001, posts: 4002, media: 4003 } as const;
const NAMESPACE = 'crossfade';
/** Secrets the prod overlays expect to be created out of band (docs/deploy.md lists them with their keys). */
const OUT_OF_BAND_SECRETS = ['crossfade-secrets', 'media-database', 'posts-database', 'users-database'];
const CROSSFADE_IMAGE = /(^|\/)crossfade:/;

const rendered = {} as Record<Overlay, K8sObject[]>;
beforeAll(() => {
  for (const overlay of OVERLAYS) rendered[overlay] = renderOverlay(overlay);
});

const workloads = (objects: K8sObject[]) => objects.filter((o) => podSpecOf(o) !== undefined);
const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const find = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
const podLabels = (o: K8sObject): Record<string, string> => o.spec?.template?.metadata?.labels ?? {};

/** Where a ConfigMap or Secret name is used inside a pod spec, with the keys read from it. */
function configReferences(podSpec: any): { kind: 'ConfigMap' | 'Secret'; name: string; key?: string; where: string }[] {
  const refs: { kind: 'ConfigMap' | 'Secret'; name: string; key?: string; where: string }[] = [];
  for (const c of containersOf(podSpec)) {
    for (const from of c.envFrom ?? []) {
      if (from.configMapRef && !from.configMapRef.optional) refs.push({ kind: 'ConfigMap', name: from.configMapRef.name, where: `${c.name} envFrom` });
      if (from.secretRef && !from.secretRef.optional) refs.push({ kind: 'Secret', name: from.secretRef.name, where: `${c.name} envFrom` });
    }
    for (const env of c.env ?? []) {
      const cm = env.valueFrom?.configMapKeyRef;
      const secret = env.valueFrom?.secretKeyRef;
      if (cm && !cm.optional) refs.push({ kind: 'ConfigMap', name: cm.name, key: cm.key, where: `${c.name} env ${env.name}` });
      if (secret && !secret.optional) refs.push({ kind: 'Secret', name: secret.name, key: secret.key, where: `${c.name} env ${env.name}` });
    }
  }
  for (const v of podSpec.volumes ?? []) {
    if (v.configMap && !v.configMap.optional) refs.push({ kind: 'ConfigMap', name: v.configMap.name, where: `volume ${v.name}` });
    if (v.secret && !v.secret.optional) refs.push({ kind: 'Secret', name: v.secret.secretName, where: `volume ${v.name}` });
    for (const source of v.projected?.sources ?? []) {
      if (source.configMap) refs.push({ kind: 'ConfigMap', name: source.configMap.name, where: `volume ${v.name}` });
      if (source.secret) refs.push({ kind: 'Secret', name: source.secret.name, where: `volume ${v.name}` });
    }
  }
  return refs;
}

/** host[:port] of an in-cluster address (`http://users:4001/graphql`, `jaeger-collector:4317`, `x.ns.svc.cluster.local:9090`). */
function serviceAddress(value: string): { name: string; namespace: string; port: number } | undefined {
  const m = /^(?:[a-z][a-z0-9+.-]*:\/\/)?(?:[^@/]*@)?([a-z0-9-]+)(?:\.([a-z0-9-]+)(?:\.svc(?:\.cluster\.local)?)?)?:(\d+)(?:[/?].*)?$/.exec(value);
  if (!m) return undefined;
  return { name: m[1], namespace: m[2] ?? NAMESPACE, port: Number(m[3]) };
}

function serviceAnswers(objects: K8sObject[], address: { name: string; namespace: string; port: number }): string | undefined {
  const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === address.name && (o.metadata.namespace ?? NAMESPACE) === address.namespace);
  if (!service) return `no Service ${address.namespace}/${address.name}`;
  if (!service.spec.ports?.some((p: any) => p.port === address.port)) return `Service ${address.name} has no port ${address.port}`;
  return undefined;
}

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  const objects = () => rendered[overlay];

  it('renders objects that validate against the Kubernetes and KEDA schemas', () => {
    expect(objects().length).toBeGreaterThan(20);
    const problems = objects().flatMap((o) => schemaErrors(o).map((e) => `${idOf(o)}: ${e}`));
    expect(problems).toEqual([]);
  });

  it('has no field the schemas do not know (strict validation)', () => {
    expect(strictFieldErrors(objects())).toEqual([]);
  });

  it('puts every namespaced object in the crossfade namespace, which enforces the restricted pod security standard', () => {
    const namespace = find(objects(), 'Namespace', NAMESPACE);
    expect(namespace?.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const cluster = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition']);
    const problems = objects()
      .filter((o) => !cluster.has(o.kind) && o.metadata.namespace !== NAMESPACE)
      .map((o) => `${idOf(o)} is outside ${NAMESPACE}`);
    expect(problems).toEqual([]);
    const ids = objects().map(idOf);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });

  it('runs the gateway and every subgraph from the Crossfade image, each with its Service', () => {
    for (const [name, port] of Object.entries({ gateway: 4000, ...SUBGRAPHS })) {
      const deployment = find(objects(), 'Deployment', name);
      expect(deployment, `Deployment ${name}`).toBeDefined();
      const [container] = deployment!.spec.template.spec.containers;
      expect(container.image).toMatch(CROSSFADE_IMAGE);
      expect(container.args).toEqual([name]);
      expect(container.ports.map((p: any) => p.containerPort)).toContain(port);
      const service = find(objects(), 'Service', name);
      expect(service?.spec.ports.map((p: any) => p.port)).toContain(port);
    }
  });

  it('probes readiness on /ready and liveness on /health for Crossfade, and something for every other container', () => {
    const problems: string[] = [];
    for (const o of workloads(objects())) {
      const spec = podSpecOf(o);
      for (const c of spec.containers) {
        const where = `${idOf(o)} container ${c.name}`;
        if (!c.readinessProbe) problems.push(`${where}: no readinessProbe`);
        if (!c.livenessProbe) problems.push(`${where}: no livenessProbe`);
        for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe].filter(Boolean)) {
          const port = probe.httpGet?.port ?? probe.tcpSocket?.port;
          if (typeof port === 'string' && !c.ports?.some((p: any) => p.name === port)) problems.push(`${where}: probe port ${port} is not a named port`);
        }
        if (CROSSFADE_IMAGE.test(c.image)) {
          if (c.readinessProbe?.httpGet?.path !== '/ready') problems.push(`${where}: readiness is not GET /ready`);
          if (c.livenessProbe?.httpGet?.path !== '/health') problems.push(`${where}: liveness is not GET /health`);
          const http = c.ports?.find((p: any) => p.name === 'http');
          if (c.readinessProbe?.httpGet?.port !== 'http' || !http) problems.push(`${where}: probes must use the public port (named http)`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('gives every container resource requests and limits for cpu and memory', () => {
    const problems: string[] = [];
    for (const o of workloads(objects())) {
      for (const c of containersOf(podSpecOf(o))) {
        for (const bound of ['requests', 'limits'])
          for (const resource of ['cpu', 'memory']) if (c.resources?.[bound]?.[resource] === undefined) problems.push(`${idOf(o)} container ${c.name}: no ${bound}.${resource}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('pins every image by tag or digest, never latest', () => {
    const problems: string[] = [];
    for (const o of workloads(objects())) {
      for (const c of containersOf(podSpecOf(o))) {
        const image: string = c.image ?? '';
        const digest = /@sha256:[0-9a-f]{64}$/.test(image);
        const tag = /:([\w][\w.-]{0,127})$/.exec(image.slice(image.lastIndexOf('/') + 1))?.[1];
        if (!digest && (!tag || tag === 'latest')) problems.push(`${idOf(o)} container ${c.name}: image ${image || '(none)'} is not pinned`);
        if (c.imagePullPolicy === 'Always' && !digest) problems.push(`${idOf(o)} container ${c.name}: imagePullPolicy Always on a tag`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('runs every container as non-root with a read-only root filesystem and no privileges', () => {
    const problems: string[] = [];
    for (const o of workloads(objects())) {
      const spec = podSpecOf(o);
      if (spec.hostNetwork || spec.hostPID || spec.hostIPC) problems.push(`${idOf(o)}: shares a host namespace`);
      for (const c of containersOf(spec)) {
        const where = `${idOf(o)} container ${c.name}`;
        const sc = c.securityContext ?? {};
        const nonRoot = sc.runAsNonRoot ?? spec.securityContext?.runAsNonRoot;
        const user = sc.runAsUser ?? spec.securityContext?.runAsUser;
        if (nonRoot !== true) problems.push(`${where}: runAsNonRoot is not true`);
        if (user === undefined || user === 0) problems.push(`${where}: no non-zero runAsUser`);
        if (sc.readOnlyRootFilesystem !== true) problems.push(`${where}: root filesystem is writable`);
        if (sc.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation is not false`);
        if (sc.privileged) problems.push(`${where}: privileged`);
        if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push(`${where}: capabilities not dropped`);
        if (sc.capabilities?.add?.length) problems.push(`${where}: adds capabilities ${sc.capabilities.add}`);
        const seccomp = sc.seccompProfile?.type ?? spec.securityContext?.seccompProfile?.type;
        if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') problems.push(`${where}: no seccomp profile`);
        if (CROSSFADE_IMAGE.test(c.image)) {
          // Node and the libraries write temporary files; the root filesystem is read-only.
          const tmp = c.volumeMounts?.find((m: any) => m.mountPath === '/tmp');
          const volume = spec.volumes?.find((v: any) => v.name === tmp?.name);
          if (!volume?.emptyDir) problems.push(`${where}: /tmp is not an emptyDir`);
          const dataDir = c.env?.find((e: any) => e.name === 'DATA_DIR')?.value;
          if (dataDir && !c.volumeMounts?.some((m: any) => m.mountPath === dataDir)) problems.push(`${where}: DATA_DIR ${dataDir} is not a mounted volume`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('has a PodDisruptionBudget for every Deployment that never blocks a drain', () => {
    const pdbs = byKind(objects(), 'PodDisruptionBudget');
    const problems: string[] = [];
    for (const d of byKind(objects(), 'Deployment')) {
      const covering = pdbs.filter((p) => matches(p.spec.selector?.matchLabels, podLabels(d)));
      if (covering.length !== 1) problems.push(`${idOf(d)}: ${covering.length} PodDisruptionBudgets`);
      // minAvailable 1 on a single replica would block every node drain.
      for (const p of covering) if (p.spec.maxUnavailable === undefined) problems.push(`${idOf(p)}: use maxUnavailable`);
    }
    for (const p of pdbs) {
      if (!workloads(objects()).some((w) => matches(p.spec.selector?.matchLabels, podLabels(w)))) problems.push(`${idOf(p)} selects no workload`);
    }
    expect(problems).toEqual([]);
  });

  it('resolves every ConfigMap, Secret, volume, claim, service account and scale target reference', () => {
    const problems: string[] = [];
    const unresolvedSecrets = new Set<string>();
    const has = (kind: string, name: string) => objects().some((o) => o.kind === kind && o.metadata.name === name);
    for (const o of workloads(objects())) {
      const spec = podSpecOf(o);
      for (const ref of configReferences(spec)) {
        const target = find(objects(), ref.kind, ref.name);
        if (!target) {
          if (ref.kind === 'Secret' && overlay !== 'dev') unresolvedSecrets.add(ref.name);
          else problems.push(`${idOf(o)} ${ref.where}: no ${ref.kind} ${ref.name}`);
          continue;
        }
        if (ref.key !== undefined && !(ref.key in dataOf(target))) problems.push(`${idOf(o)} ${ref.where}: ${ref.kind} ${ref.name} has no key ${ref.key}`);
      }
      const claimTemplates = (o.spec.volumeClaimTemplates ?? []).map((t: any) => t.metadata.name);
      const volumes = (spec.volumes ?? []).map((v: any) => v.name);
      for (const v of spec.volumes ?? []) {
        if (v.persistentVolumeClaim && !has('PersistentVolumeClaim', v.persistentVolumeClaim.claimName))
          problems.push(`${idOf(o)} volume ${v.name}: no PersistentVolumeClaim ${v.persistentVolumeClaim.claimName}`);
        const sources = Object.keys(v).filter((k) => k !== 'name');
        if (sources.length !== 1) problems.push(`${idOf(o)} volume ${v.name}: ${sources.length} sources (${sources})`);
      }
      for (const c of containersOf(spec))
        for (const m of c.volumeMounts ?? [])
          if (!volumes.includes(m.name) && !claimTemplates.includes(m.name)) problems.push(`${idOf(o)} container ${c.name}: mount ${m.name} has no volume`);
      if (spec.serviceAccountName && spec.serviceAccountName !== 'default' && !has('ServiceAccount', spec.serviceAccountName))
        problems.push(`${idOf(o)}: no ServiceAccount ${spec.serviceAccountName}`);
      if (o.kind === 'StatefulSet' && find(objects(), 'Service', o.spec.serviceName)?.spec.clusterIP !== 'None')
        problems.push(`${idOf(o)}: no headless Service ${o.spec.serviceName}`);
    }
    for (const binding of byKind(objects(), 'RoleBinding')) {
      if (!has(binding.roleRef.kind, binding.roleRef.name)) problems.push(`${idOf(binding)}: no ${binding.roleRef.kind} ${binding.roleRef.name}`);
      for (const s of binding.subjects ?? []) {
        if (s.kind === 'ServiceAccount' && !objects().some((o) => o.kind === 'ServiceAccount' && o.metadata.name === s.name && o.metadata.namespace === s.namespace))
          problems.push(`${idOf(binding)}: no ServiceAccount ${s.namespace}/${s.name}`);
      }
    }
    for (const scaler of objects().filter((o) => o.kind === 'ScaledObject' || o.kind === 'HorizontalPodAutoscaler')) {
      const ref = scaler.spec.scaleTargetRef;
      if (!has(ref.kind ?? 'Deployment', ref.name)) problems.push(`${idOf(scaler)}: no ${ref.kind ?? 'Deployment'} ${ref.name}`);
    }
    expect(problems).toEqual([]);
    // The prod overlays read Secrets made out of band, and only those that docs/deploy.md tells to create.
    expect([...unresolvedSecrets].sort()).toEqual(overlay === 'dev' ? [] : OUT_OF_BAND_SECRETS);
  });

  it('gives every Service and NetworkPolicy selector pods to select, and Service target ports that exist', () => {
    const problems: string[] = [];
    const pods = workloads(objects());
    for (const s of byKind(objects(), 'Service')) {
      const selected = pods.filter((w) => matches(s.spec.selector, podLabels(w)));
      if (selected.length === 0) problems.push(`${idOf(s)} selects no pods`);
      for (const port of s.spec.ports ?? []) {
        if (typeof port.targetPort !== 'string') continue;
        for (const w of selected)
          if (!podSpecOf(w).containers.some((c: any) => c.ports?.some((p: any) => p.name === port.targetPort)))
            problems.push(`${idOf(s)}: ${idOf(w)} has no port ${port.targetPort}`);
      }
    }
    for (const policy of byKind(objects(), 'NetworkPolicy')) {
      const selected = pods.filter((w) => matches(policy.spec.podSelector?.matchLabels, podLabels(w)));
      if (selected.length === 0) problems.push(`${idOf(policy)} selects no pods`);
      for (const rule of policy.spec.ingress ?? []) {
        for (const peer of rule.from ?? [])
          if (peer.podSelector && !peer.namespaceSelector && !pods.some((w) => matches(peer.podSelector.matchLabels, podLabels(w))))
            problems.push(`${idOf(policy)}: a peer selects no pods`);
        for (const port of rule.ports ?? [])
          if (typeof port.port === 'string' && !selected.some((w) => podSpecOf(w).containers.some((c: any) => c.ports?.some((p: any) => p.name === port.port))))
            problems.push(`${idOf(policy)}: no selected pod has a port named ${port.port}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('points every in-cluster address at a Service port that exists', () => {
    const problems: string[] = [];
    const check = (where: string, value: string | undefined) => {
      const address = value === undefined ? undefined : serviceAddress(value);
      if (!address) return problems.push(`${where}: ${value} is not an in-cluster address`);
      const problem = serviceAnswers(objects(), address);
      if (problem) problems.push(`${where}: ${value}: ${problem}`);
    };
    const gateway = find(objects(), 'Deployment', 'gateway')!.spec.template.spec.containers[0];
    for (const [name, port] of Object.entries(SUBGRAPHS)) {
      const variable = `SUBGRAPH_${name.toUpperCase()}_URL`;
      const url = gateway.env.find((e: any) => e.name === variable)?.value;
      expect(url, variable).toBe(`http://${name}:${port}/graphql`);
      check(`gateway ${variable}`, url);
    }
    const env = dataOf(objects().find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('crossfade-env'))!);
    check('crossfade-env OTEL_EXPORTER_OTLP_ENDPOINT', env.OTEL_EXPORTER_OTLP_ENDPOINT);
    if (overlay === 'dev') {
      const collectorEnv = dataOf(objects().find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('otel-collector-env'))!);
      check('otel-collector-env TRACES_OTLP_ENDPOINT', collectorEnv.TRACES_OTLP_ENDPOINT);
      for (const name of Object.keys(SUBGRAPHS)) {
        const secret = objects().find((o) => o.kind === 'Secret' && o.metadata.name.startsWith(`${name}-database`))!;
        const { url, password } = dataOf(secret);
        check(`Secret ${secret.metadata.name} url`, url);
        // The subgraph's URL carries the password that its PostgreSQL server is initialised with.
        expect(new URL(url).password).toBe(password);
        expect(new URL(url).hostname).toBe(`postgres-${name}`);
      }
    }
    for (const scaler of byKind(objects(), 'ScaledObject'))
      for (const trigger of scaler.spec.triggers) if (trigger.type === 'prometheus') check(`${idOf(scaler)} serverAddress`, trigger.metadata.serverAddress);
    const prometheusConfig = dataOf(objects().find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('prometheus-config'))!)['prometheus.yml'];
    for (const target of prometheusConfig.match(/targets: \[([^\]]+)\]/g) ?? []) for (const t of target.slice(10, -1).split(',')) check('prometheus.yml target', t.trim());
    expect(problems).toEqual([]);
  });

  it('scales each subgraph with one autoscaler and leaves its replica count to it', () => {
    const scalers = objects().filter((o) => o.kind === 'ScaledObject' || o.kind === 'HorizontalPodAutoscaler');
    const expected = overlay === 'prod-hpa' ? 'HorizontalPodAutoscaler' : 'ScaledObject';
    expect(scalers.map((s) => `${s.kind}/${s.spec.scaleTargetRef.name}`).sort()).toEqual(
      Object.keys(SUBGRAPHS)
        .map((n) => `${expected}/${n}`)
        .sort(),
    );
    for (const name of Object.keys(SUBGRAPHS)) {
      // A replicas field would be reset by every apply, fighting the autoscaler.
      expect(find(objects(), 'Deployment', name)!.spec.replicas, `Deployment ${name} replicas`).toBeUndefined();
    }
  });

  it('mounts the supergraph ConfigMap as a folder, without a name hash, where SUPERGRAPH_PATH points', () => {
    const configMap = find(objects(), 'ConfigMap', 'supergraph');
    expect(configMap, 'ConfigMap supergraph without a hash suffix').toBeDefined();
    expect(Object.keys(configMap!.data)).toEqual(['supergraph.graphql']);
    expect(configMap!.data['supergraph.graphql']).toBe(fs.readFileSync(path.join(repoRoot, 'supergraph.graphql'), 'utf8'));
    const spec = find(objects(), 'Deployment', 'gateway')!.spec.template.spec;
    const volume = spec.volumes.find((v: any) => v.configMap?.name === 'supergraph');
    const mount = spec.containers[0].volumeMounts.find((m: any) => m.name === volume.name);
    // A subPath mount is a copy taken at start: updates of the ConfigMap would never reach it.
    expect(mount.subPath).toBeUndefined();
    const supergraphPath = spec.containers[0].env.find((e: any) => e.name === 'SUPERGRAPH_PATH').value;
    expect(supergraphPath).toBe(`${mount.mountPath}/supergraph.graphql`);
  });

  it('serves gateway metrics on the admin port, scraped by Prometheus but not exposed with the public Service', () => {
    const gateway = find(objects(), 'Deployment', 'gateway')!;
    expect(gateway.spec.template.metadata.annotations['prometheus.io/port']).toBe('4090');
    expect(gateway.spec.template.spec.containers[0].env).toContainEqual({ name: 'ADMIN_PORT', value: '4090' });
    expect(find(objects(), 'Service', 'gateway')!.spec.ports.map((p: any) => p.port)).toEqual([4000]);
    for (const [name, port] of Object.entries(SUBGRAPHS)) {
      expect(find(objects(), 'Deployment', name)!.spec.template.metadata.annotations['prometheus.io/port']).toBe(String(port));
    }
  });

  it('lets only the gateway and Prometheus reach a subgraph, and only its subgraph reach a database', () => {
    const policies = byKind(objects(), 'NetworkPolicy');
    const allowedFrom = (target: K8sObject, port: number) => {
      const labels = podLabels(target);
      const container = podSpecOf(target).containers[0];
      const peers: string[] = [];
      let denyAll = false;
      for (const policy of policies) {
        if (!matches(policy.spec.podSelector?.matchLabels, labels) || !policy.spec.policyTypes?.includes('Ingress')) continue;
        denyAll = true;
        for (const rule of policy.spec.ingress ?? []) {
          const portMatches = !rule.ports || rule.ports.some((p: any) => p.port === port || container.ports?.some((cp: any) => cp.name === p.port && cp.containerPort === port));
          if (!portMatches) continue;
          if (!rule.from) peers.push('*');
          for (const peer of rule.from ?? []) {
            if (peer.namespaceSelector) peers.push(`namespace:${JSON.stringify(peer.namespaceSelector.matchLabels)}`);
            else
              workloads(objects())
                .filter((w) => matches(peer.podSelector?.matchLabels, podLabels(w)))
                .forEach((w) => peers.push(w.metadata.name));
          }
        }
      }
      return denyAll ? [...new Set(peers)].sort() : ['*'];
    };
    for (const [name, port] of Object.entries(SUBGRAPHS)) {
      expect(allowedFrom(find(objects(), 'Deployment', name)!, port), name).toEqual(['gateway', 'prometheus']);
      expect(allowedFrom(find(objects(), 'StatefulSet', `postgres-${name}`)!, 5432), `postgres-${name}`).toEqual([name]);
    }
    const gateway = find(objects(), 'Deployment', 'gateway')!;
    expect(allowedFrom(gateway, 4000)).toEqual(['*']);
    expect(allowedFrom(gateway, 4090)).toEqual(['prometheus']);
    expect(allowedFrom(find(objects(), 'Deployment', 'prometheus')!, 9090)).toEqual(['namespace:{"kubernetes.io/metadata.name":"keda"}']);
  });
});

describe('overlay differences', () => {
  it('dev brings Jaeger and its own Secrets; prod neither, and a registry image', () => {
    expect(find(rendered.dev, 'Deployment', 'jaeger')).toBeDefined();
    expect(
      byKind(rendered.dev, 'Secret')
        .map((s) => s.metadata.name.replace(/-[a-z0-9]{10}$/, ''))
        .sort(),
    ).toEqual(OUT_OF_BAND_SECRETS);
    for (const overlay of ['prod', 'prod-hpa'] as const) {
      expect(find(rendered[overlay], 'Deployment', 'jaeger')).toBeUndefined();
      expect(byKind(rendered[overlay], 'Secret')).toEqual([]);
      expect(find(rendered[overlay], 'Deployment', 'gateway')!.spec.template.spec.containers[0].image).toMatch(/^[a-z0-9.-]+\.[a-z]+(:\d+)?\/.+:/);
      expect(find(rendered[overlay], 'Deployment', 'gateway')!.spec.replicas).toBeGreaterThanOrEqual(2);
      const env = dataOf(rendered[overlay].find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('crossfade-env'))!);
      expect(env.NODE_ENV).toBe('production');
    }
  });

  it('docs/deploy.md tells how to create every Secret the prod overlays expect', () => {
    const doc = fs.readFileSync(path.join(repoRoot, 'docs/deploy.md'), 'utf8');
    for (const name of OUT_OF_BAND_SECRETS) expect(doc).toContain(`kubectl -n crossfade create secret generic ${name}`);
  });
});
