import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const defaultConfigPath = fileURLToPath(new URL('../../supergraph.yaml', import.meta.url));
export const defaultSupergraphPath = fileURLToPath(new URL('../../supergraph.graphql', import.meta.url));
export const kustomizeSupergraphPath = fileURLToPath(new URL('../../deploy/k8s/base/supergraph.graphql', import.meta.url));
