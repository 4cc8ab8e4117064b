// npm run compose [-- --config supergraph.yaml --output supergraph.graphql] [--check]
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { composeSupergraph, CompositionError, SupergraphConfigError, supergraphFileState } from './lib/compose.ts';
import { defaultConfigPath, defaultSupergraphPath, kustomizeSupergraphPath } from './lib/paths.ts';

const USAGE = `usage: npm run compose [-- [--config supergraph.yaml] [--output supergraph.graphql] [--check]]
  --config   rover-format composition config (default: supergraph.yaml at the repo root)
  --output   where to write the supergraph SDL (default: supergraph.graphql at the repo root, and its
             copy in the Kubernetes base, deploy/k8s/base/supergraph.graphql)
  --check    write nothing; exit 1 when an output file is not what composition produces`;

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      config: { type: 'string' },
      output: { type: 'string' },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

const configPath = args.config ? path.resolve(args.config) : defaultConfigPath;
// kustomize's configMapGenerator reads only inside its folder: the base keeps a copy of the supergraph.
const outputPaths = args.output ? [path.resolve(args.output)] : [defaultSupergraphPath, kustomizeSupergraphPath];

let supergraphSdl: string;
try {
  ({ supergraphSdl } = composeSupergraph(configPath));
} catch (error) {
  if (!(error instanceof CompositionError || error instanceof SupergraphConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

let stale = false;
for (const outputPath of outputPaths) {
  const shown = path.relative(process.cwd(), outputPath) || outputPath;
  const state = supergraphFileState(outputPath, supergraphSdl);
  if (state === 'fresh') {
    console.log(`${shown} is up to date`);
  } else if (args.check) {
    console.error(`${shown} is ${state}: run npm run compose`);
    stale = true;
  } else {
    fs.writeFileSync(outputPath, supergraphSdl);
    console.log(`wrote ${shown}`);
  }
}
if (stale) process.exit(1);
