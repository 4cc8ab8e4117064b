import { fileURLToPath } from 'node:url';
import type { SubgraphDefinition } from '@crossfade/kit';
import type { MediaDB } from './db-types.ts';
import { createLoaders } from './loaders.ts';
import { migrations } from './migrations/index.ts';
import { resolvers, type MediaContext } from './resolvers.ts';
import { seed } from './seed.ts';
import { createStore } from './store.ts';

export const schemaFile = fileURLToPath(new URL('../schema.graphql', import.meta.url));

export const media: SubgraphDefinition<MediaDB, MediaContext> = {
  name: 'media',
  defaultPort: 4003,
  schemaFile,
  migrations,
  seed,
  resolvers,
  createContext(database, viewer) {
    const store = createStore(database.db, database.dialect);
    return { viewer, store, loaders: createLoaders(store) };
  },
};

export { createStore } from './store.ts';
export type { MediaDB } from './db-types.ts';
