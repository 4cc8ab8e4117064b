/**
 * Renders the kustomize overlays under deploy/k8s and validates what they produce, offline:
 * - against the Kubernetes OpenAPI schemas (kubernetes-models) and KEDA's CRD schema (@kubernetes-models/keda);
 * - strictly, as `kubectl apply --validate=strict` would: a field the schema does not know (a typo such as
 *   `readinesProbe`) is an error, found by type-checking every object as an object literal of its model's type.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../../scripts/lib/paths.ts';

export const k8sDir = path.join(repoRoot, 'deploy/k8s');
export const OVERLAYS = ['dev', 'prod', 'prod-hpa'] as const;
export type Overlay = (typeof OVERLAYS)[number];

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: any;
}

let kubectlChecked = false;
/** kubectl with its built-in kustomize; missing, it is an error (never a skipped test): the manifests would go unchecked. */
function kubectl(): string {
  const bin = process.env.KUBECTL ?? 'kubectl';
  if (kubectlChecked) return bin;
  try {
    execFileSync(bin, ['version', '--client'], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(
      `kubectl is needed to render deploy/k8s (kubectl kustomize) and was not found or failed (${(error as Error).message.split('\n')[0]}). ` +
        'Install kubectl 1.27 or later (Debian package kubectl), or point KUBECTL at one.',
    );
  }
  kubectlChecked = true;
  return bin;
}

/** `kubectl kustomize` of a folder under deploy/k8s (an overlay such as overlays/dev). */
export function renderKustomization(dir: string): K8sObject[] {
  const yamlText = execFileSync(kubectl(), ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  return parseAllDocuments(yamlText).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`kubectl kustomize ${dir} printed invalid YAML: ${doc.errors[0].message}`);
    const value = doc.toJS();
    return value == null ? [] : [value as K8sObject];
  });
}

export const renderOverlay = (overlay: Overlay) => renderKustomization(path.join(k8sDir, 'overlays', overlay));

export const idOf = (o: K8sObject) => `${o.kind}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;

/** The package module of an object's model: kubernetes-models for the built-in API groups, @kubernetes-models/keda for KEDA. */
export function modelModule(o: K8sObject): string {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  if (group === 'keda.sh') return `@kubernetes-models/keda/keda.sh/${version}/${o.kind}`;
  return `kubernetes-models/${group ? `${group}/` : ''}${version}/${o.kind}`;
}

const require = createRequire(import.meta.url);

/** Validates one object with its model's JSON schema validator; returns the error messages. */
export function schemaErrors(o: K8sObject): string[] {
  let Model: new (data: unknown) => { validate(): void };
  try {
    Model = (require(modelModule(o)) as Record<string, typeof Model>)[o.kind];
  } catch {
    return [`no schema for apiVersion ${o.apiVersion} kind ${o.kind}`];
  }
  if (typeof Model !== 'function') return [`no schema for apiVersion ${o.apiVersion} kind ${o.kind}`];
  let data = o;
  if (o.kind === 'Secret' && o.data) {
    // kustomize folds long base64 values over several lines; the API server's decoder skips the newlines.
    data = { ...o, data: Object.fromEntries(Object.entries<string>(o.data).map(([k, v]) => [k, v.replace(/\s+/g, '')])) };
  }
  try {
    new Model(data).validate();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}

/**
 * Type-checks every object as `const x: I<Kind> = <object literal>`: TypeScript's excess-property check finds
 * fields the schema does not have, at any depth, and wrong value types. Returns `id: message` lines.
 */
export function strictFieldErrors(objects: K8sObject[]): string[] {
  const fileName = path.join(repoRoot, 'test/deploy/__manifests__.ts');
  const lines: string[] = [];
  const owners: string[] = [];
  const imported = new Map<string, string>();
  objects.forEach((o, i) => {
    const module = modelModule(o);
    let alias = imported.get(module);
    if (!alias) {
      alias = `T${imported.size}`;
      imported.set(module, alias);
    }
    owners.push(idOf(o));
    lines.push(`export const o${i}: ${alias} = ${JSON.stringify(o)};`);
  });
  const header = [...imported].map(([module, alias]) => `import type { I${module.split('/').pop()} as ${alias} } from '${module}';`);
  const source = [...header, ...lines].join('\n');
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (f) => f === fileName || fs.existsSync(f);
  host.readFile = (f) => (f === fileName ? source : readFile(f));
  host.getSourceFile = (f, languageVersion, ...rest) => (f === fileName ? ts.createSourceFile(f, source, languageVersion, true) : getSourceFile(f, languageVersion, ...rest));
  const program = ts.createProgram({ rootNames: [fileName], options, host });
  const sourceFile = program.getSourceFile(fileName)!;
  return ts.getPreEmitDiagnostics(program, sourceFile).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.start === undefined) return message;
    const { line } = sourceFile.getLineAndCharacterOfPosition(d.start);
    const owner = owners[line - header.length];
    const field = source.slice(d.start, d.start + (d.length ?? 0));
    return `${owner ?? '(imports)'}: ${field}: ${message.split('\n').pop()}`;
  });
}

/** Containers and init containers of a workload's pod template, with the pod spec. */
export function podSpecOf(o: K8sObject): any | undefined {
  if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(o.kind)) return o.spec?.template?.spec;
  if (o.kind === 'CronJob') return o.spec?.jobTemplate?.spec?.template?.spec;
  if (o.kind === 'Pod') return o.spec;
  return undefined;
}

export const containersOf = (podSpec: any): any[] => [...(podSpec?.initContainers ?? []), ...(podSpec?.containers ?? [])];

export function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return true;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** The data keys of a ConfigMap or Secret (string values decoded from base64 where needed). */
export function dataOf(o: K8sObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries<string>(o.data ?? {})) out[k] = o.kind === 'Secret' ? Buffer.from(v, 'base64').toString('utf8') : v;
  for (const [k, v] of Object.entries<string>(o.stringData ?? {})) out[k] = v;
  for (const [k, v] of Object.entries<string>(o.binaryData ?? {})) out[k] = v;
  return out;
}
