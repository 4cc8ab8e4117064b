import { runSubgraph } from '@crossfade/kit';
import { users } from './index.ts';

await runSubgraph(users);
