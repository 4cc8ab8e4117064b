import { runSubgraph } from '@crossfade/kit';
import { posts } from './index.ts';

await runSubgraph(posts);
