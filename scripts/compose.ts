// npm run compose [-- --config supergraph.yaml --output supergraph.graphql] [--check]
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { composeSupergraph, CompositionError, SupergraphConfigError, supergraphFileState } from './lib/compose.ts';
import { defaultConfigPath, defaultSupergraphPath } from './lib/paths.ts';

const USAGE = `usage: npm run compose [-- [--config supergraph.yaml] [--output supergraph.graphql] [--check]]
  --config   rover-format composition config (default: supergraph.yaml at the repo root)
  --output   where to write the supergraph SDL (default: supergraph.graphql at the repo root)
  --check    write nothing; exit 1 when the output file is not what composition produces`;

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
const outputPath = args.output ? path.resolve(args.output) : defaultSupergraphPath;
const shown = path.relative(process.cwd(), outputPath) || outputPath;

let supergraphSdl: string;
try {
  ({ supergraphSdl } = composeSupergraph(configPath));
} catch (error) {
  if (!(error instanceof CompositionError || error instanceof SupergraphConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const state = supergraphFileState(outputPath, supergraphSdl);
if (args.check) {
  if (state !== 'fresh') {
    console.error(`${shown} is ${state === 'missing' ? 'missing' : 'stale'}: run npm run compose`);
    process.exit(1);
  }
  console.log(`${shown} is up to date`);
} else if (state === 'fresh') {
  console.log(`${shown} is up to date`);
} else {
  fs.writeFileSync(outputPath, supergraphSdl);
  console.log(`wrote ${shown}`);
}
