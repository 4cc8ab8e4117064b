import { runSubgraph } from '@crossfade/kit';
import { media } from './index.ts';

await runSubgraph(media);
