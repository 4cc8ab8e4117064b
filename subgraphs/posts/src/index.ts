import { fileURLToPath } from 'node:url';
import type { SubgraphDefinition } from '@crossfade/kit';
import type { PostsDB } from './db-types.ts';
import { createLoaders } from './loaders.ts';
import { migrations } from './migrations/index.ts';
import { resolvers, type PostsContext } from './resolvers.ts';
import { seed } from './seed.ts';
import { createStore } from './store.ts';

export const schemaFile = fileURLToPath(new URL('../schema.graphql', import.meta.url));

export const posts: SubgraphDefinition<PostsDB, PostsContext> = {
  name: 'posts',
  defaultPort: 4002,
  schemaFile,
  migrations,
  seed,
  resolvers,
  createContext(database, viewer) {
    const store = createStore(database.db);
    return { viewer, store, loaders: createLoaders(store, viewer) };
  },
};

export { createStore } from './store.ts';
export type { PostsDB } from './db-types.ts';
