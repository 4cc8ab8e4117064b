import fs from 'node:fs';
import type { Logger } from '@crossfade/kit';
import { loadSupergraph, type Supergraph } from './load.ts';

export const SUPERGRAPH_POLL_MS = 500;

/**
 * Polls the supergraph file (a stat every SUPERGRAPH_POLL_MS, which also sees Kubernetes' ConfigMap
 * symlink swaps) and hands each new, readable version to `apply`. A file that cannot be read or is not
 * a supergraph is reported and the current one keeps serving.
 */
export function watchSupergraph(path: string, current: Supergraph, apply: (next: Supergraph) => Promise<void>, deps: { logger: Logger; onRejected: (reason: string) => void }) {
  let hash = current.hash;
  let running = Promise.resolve();
  const check = () => {
    running = running.then(async () => {
      let next: Supergraph;
      try {
        next = await loadSupergraph(path);
      } catch (error) {
        deps.logger.error({ path }, `supergraph not reloaded: ${(error as Error).message}`);
        deps.onRejected('unreadable');
        return;
      }
      if (next.hash === hash) return;
      try {
        await apply(next);
        hash = next.hash;
      } catch (error) {
        deps.logger.error({ path, hash: next.hash }, `supergraph rejected, the previous one keeps serving: ${(error as Error).message}`);
        deps.onRejected('invalid');
      }
    });
  };
  fs.watchFile(path, { interval: SUPERGRAPH_POLL_MS, persistent: false }, (now, before) => {
    if (now.mtimeMs !== before.mtimeMs || now.size !== before.size || now.ino !== before.ino) check();
  });
  return {
    close: async () => {
      fs.unwatchFile(path);
      await running;
    },
  };
}
