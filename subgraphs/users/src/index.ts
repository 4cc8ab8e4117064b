import { fileURLToPath } from 'node:url';
import type { SubgraphDefinition } from '@crossfade/kit';
import type { UsersDB } from './db-types.ts';
import { createLoaders } from './loaders.ts';
import { migrations } from './migrations/index.ts';
import { resolvers, type UsersContext } from './resolvers.ts';
import { seed } from './seed.ts';
import { createStore } from './store.ts';

export const schemaFile = fileURLToPath(new URL('../schema.graphql', import.meta.url));

export const users: SubgraphDefinition<UsersDB, UsersContext> = {
  name: 'users',
  defaultPort: 4001,
  schemaFile,
  migrations,
  seed,
  resolvers,
  createContext(database, viewer) {
    const store = createStore(database.db);
    return { viewer, store, loaders: createLoaders(store) };
  },
};

export { createStore } from './store.ts';
export type { UsersDB } from './db-types.ts';
