import fs from 'node:fs';
import { createHash } from 'node:crypto';
import type { ApolloGateway } from '@apollo/gateway';
import { operationFromDocument, type Schema } from '@apollo/federation-internals';
import { ConfigError, type Logger } from '@crossfade/kit';
import { parse } from 'graphql';

export interface KnownOperation {
  id: string;
  document: string;
}

/** Known operations: a JSON array of documents, a map of id to document, or Apollo's persisted query manifest. */
export function loadKnownOperations(path: string): KnownOperation[] {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`cannot read known operations from ${path}: ${(error as Error).message}`);
  }
  const entries: [string, unknown][] = Array.isArray(json)
    ? json.map((document, index) => [String(index), document])
    : (json as { format?: unknown })?.format === 'apollo-persisted-query-manifest'
      ? ((json as { operations?: { id: string; body: unknown }[] }).operations ?? []).map((op) => [op.id, op.body])
      : Object.entries((json ?? {}) as Record<string, unknown>);
  return entries.map(([id, document]) => {
    if (typeof document !== 'string') throw new ConfigError(`operation ${id} in ${path} is not a document string`);
    return { id, document };
  });
}

/** What @apollo/gateway 2.14 keeps its plans in; reached here because it offers no public warm-up. */
interface GatewayInternals {
  apiSchema?: Schema;
  queryPlanner?: { buildQueryPlan(operation: ReturnType<typeof operationFromDocument>): unknown };
  queryPlanStore?: { set(key: string, plan: unknown): Promise<void> };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Plans every operation of every known document into the gateway's query plan cache, under the key the
 * gateway itself computes (the SHA-256 of the query text, then of the operation name), so that the first
 * request after a start or a supergraph reload skips planning. Returns how many plans were stored.
 */
export async function warmQueryPlans(gateway: ApolloGateway, operations: KnownOperation[], logger: Logger): Promise<number> {
  const { apiSchema, queryPlanner, queryPlanStore } = gateway as unknown as GatewayInternals;
  if (!apiSchema || !queryPlanner || !queryPlanStore) {
    logger.warn('query plan warm-up skipped: this @apollo/gateway keeps its plans elsewhere');
    return 0;
  }
  let planned = 0;
  for (const { id, document } of operations) {
    try {
      const names = parse(document)
        .definitions.filter((d) => d.kind === 'OperationDefinition')
        .map((d) => ('name' in d ? d.name?.value : undefined));
      const queryHash = sha256(document);
      for (const name of names) {
        // A document with one anonymous operation is also sent without operationName.
        const keys = name ? [createHash('sha256').update(queryHash).update(name).digest('hex')] : [queryHash];
        if (name && names.length === 1) keys.push(queryHash);
        const plan = queryPlanner.buildQueryPlan(operationFromDocument(apiSchema, parse(document), { operationName: name }));
        for (const key of keys) await queryPlanStore.set(key, plan);
        planned++;
      }
    } catch (error) {
      logger.warn({ operation: id }, `query plan warm-up skipped an operation: ${(error as Error).message}`);
    }
  }
  return planned;
}
