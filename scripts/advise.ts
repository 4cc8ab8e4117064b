// npm run advise -- --input <file>... | --format keda: the scaling advisor offline (docs/scaling.md).
import { runAdvise } from '../otel/src/advisor/cli.ts';
import { defaultConfigPath } from './lib/paths.ts';

process.exitCode = await runAdvise(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  // Imported only when needed: compose.ts loads the federation composition library, which is slow to start.
  defaultSubgraphs: async () => {
    const { readSupergraphConfig } = await import('./lib/compose.ts');
    return readSupergraphConfig(defaultConfigPath).subgraphs.map((subgraph) => subgraph.name);
  },
});
