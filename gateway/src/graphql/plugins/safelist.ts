import fs from 'node:fs';
import type { ApolloServerPlugin } from '@apollo/server';
import { ConfigError } from '@crossfade/kit';
import { GraphQLError, parse, print } from 'graphql';

/**
 * A manifest of allowed operations: either a JSON map of id to document, or Apollo's persisted query
 * manifest (`{ format: "apollo-persisted-query-manifest", operations: [{ id, body }] }`).
 */
export function loadManifest(path: string): Map<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`PERSISTED_OPERATIONS_PATH: cannot read ${path}: ${(error as Error).message}`);
  }
  const entries: [string, unknown][] =
    json && typeof json === 'object' && (json as { format?: unknown }).format === 'apollo-persisted-query-manifest'
      ? ((json as { operations?: { id: string; body: unknown }[] }).operations ?? []).map((op) => [op.id, op.body])
      : Object.entries(json ?? {});
  const manifest = new Map<string, string>();
  for (const [id, body] of entries) {
    if (typeof body !== 'string') throw new ConfigError(`PERSISTED_OPERATIONS_PATH: operation ${id} in ${path} is not a document string`);
    try {
      parse(body);
    } catch (error) {
      throw new ConfigError(`PERSISTED_OPERATIONS_PATH: operation ${id} in ${path} does not parse: ${(error as Error).message}`);
    }
    manifest.set(id, body);
  }
  if (manifest.size === 0) throw new ConfigError(`PERSISTED_OPERATIONS_PATH: ${path} lists no operation`);
  return manifest;
}

const normalize = (document: string) => print(parse(document));

/**
 * Safelisting: a request names a manifest operation by id (`extensions.persistedQuery.sha256Hash`,
 * or sends its full text); any other operation is OPERATION_NOT_ALLOWED.
 */
export function safelistPlugin(manifest: Map<string, string>): ApolloServerPlugin {
  const allowed = new Set([...manifest.values()].map(normalize));
  // Documents already judged, by their exact text (bounded: clients send few distinct texts).
  const judged = new Map<string, boolean>();
  return {
    async requestDidStart({ request }) {
      const hash = (request.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined)?.sha256Hash;
      const listed = typeof hash === 'string' ? manifest.get(hash) : undefined;
      if (listed !== undefined && request.query === undefined) {
        request.query = listed;
        // Manifest ids need not be SHA-256 hashes of their documents: skip APQ's hash check.
        delete request.extensions!.persistedQuery;
      }
      return {
        async didResolveOperation({ source }) {
          let ok = judged.get(source);
          if (ok === undefined) {
            ok = allowed.has(normalize(source));
            if (judged.size > 10_000) judged.clear();
            judged.set(source, ok);
          }
          if (!ok)
            throw new GraphQLError('this operation is not in the safelist of persisted operations', { extensions: { code: 'OPERATION_NOT_ALLOWED', http: { status: 400 } } });
        },
      };
    },
  };
}
