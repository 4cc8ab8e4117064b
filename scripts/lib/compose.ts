import fs from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { GraphQLError, Source, getLocation, parse, type ASTNode, type DocumentNode } from 'graphql';
import { parse as parseYaml } from 'yaml';

export interface SubgraphConfig {
  name: string;
  routingUrl: string;
  /** Absolute path of the subgraph's SDL file. */
  schemaFile: string;
}

export interface SupergraphConfig {
  federationVersion: string;
  subgraphs: SubgraphConfig[];
}

/** supergraph.yaml is missing, unreadable or not in the supported shape. */
export class SupergraphConfigError extends Error {
  override name = 'SupergraphConfigError';
}

/** Composition failed; `errors` holds one `<subgraphs or 'composition'>: [CODE] message` line per error. */
export class CompositionError extends Error {
  override name = 'CompositionError';
  constructor(readonly errors: string[]) {
    super(`composition failed with ${errors.length} error${errors.length === 1 ? '' : 's'}:\n${errors.map((e) => `  ${e}`).join('\n')}`);
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** rover's other schema sources fetch from a running service or from GraphOS, which a reproducible build must not do. */
const UNSUPPORTED_SOURCES: Record<string, string> = {
  subgraph_url: 'introspection of a running subgraph',
  graphref: 'a GraphOS graph ref',
  sdl: 'inline SDL',
};

/** Reads and validates a rover-format supergraph.yaml; schema paths are resolved relative to it. */
export function readSupergraphConfig(configPath: string): SupergraphConfig {
  const file = path.resolve(configPath);
  const fail = (message: string): never => {
    throw new SupergraphConfigError(`${file}: ${message}`);
  };
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    return fail(`cannot read: ${(error as Error).message}`);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    return fail(`invalid YAML: ${(error as Error).message}`);
  }
  if (!isRecord(document)) return fail('expected a mapping with `federation_version` and `subgraphs`');

  const version = document.federation_version;
  if (version === undefined) return fail('`federation_version` is missing (for example `=2.7.1`)');
  // The local composition is Federation 2 only; rover would pick Federation 1 composition for `1` or `=0.x`.
  if ((typeof version !== 'string' && typeof version !== 'number') || !/^(2|=2\.\d+\.\d+(-[\w.]+)?)$/.test(String(version))) {
    return fail(`unsupported federation_version ${JSON.stringify(version)}: expected Federation 2, like \`2\` or \`=2.7.1\``);
  }

  const entries = document.subgraphs;
  if (!isRecord(entries) || Object.keys(entries).length === 0) return fail('`subgraphs` must map at least one subgraph name to its config');
  const subgraphs = Object.entries(entries).map(([name, entry]): SubgraphConfig => {
    const where = `subgraph "${name}"`;
    if (!isRecord(entry)) return fail(`${where}: expected a mapping with \`routing_url\` and \`schema\``);
    const routingUrl = entry.routing_url;
    if (typeof routingUrl !== 'string' || routingUrl.trim() === '') return fail(`${where}: \`routing_url\` is missing`);
    if (!URL.canParse(routingUrl)) return fail(`${where}: \`routing_url\` is not a URL: ${routingUrl}`);
    const schema = entry.schema;
    if (!isRecord(schema)) return fail(`${where}: \`schema\` is missing (expected \`schema: { file: ./path/to/schema.graphql }\`)`);
    const unsupported = Object.keys(schema).find((key) => key !== 'file');
    if (unsupported) {
      const what = UNSUPPORTED_SOURCES[unsupported] ? ` (${UNSUPPORTED_SOURCES[unsupported]})` : '';
      return fail(`${where}: schema source \`${unsupported}\`${what} is unsupported; only \`schema.file\` is`);
    }
    if (typeof schema.file !== 'string' || schema.file.trim() === '') return fail(`${where}: \`schema.file\` is missing`);
    return { name, routingUrl, schemaFile: path.resolve(path.dirname(file), schema.file) };
  });
  return { federationVersion: String(version), subgraphs };
}

/** How a file is named in messages: relative to the working directory when inside it. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

function parseSubgraph(subgraph: SubgraphConfig): DocumentNode {
  let sdl: string;
  try {
    sdl = fs.readFileSync(subgraph.schemaFile, 'utf8');
  } catch (error) {
    throw new CompositionError([`${subgraph.name}: cannot read ${displayPath(subgraph.schemaFile)}: ${(error as Error).message}`]);
  }
  try {
    // Naming the source after the file makes error locations point into it.
    return parse(new Source(sdl, displayPath(subgraph.schemaFile)));
  } catch (error) {
    const at = error instanceof GraphQLError && error.locations?.[0];
    const where = at ? ` (at ${displayPath(subgraph.schemaFile)}:${at.line}:${at.column})` : '';
    throw new CompositionError([`${subgraph.name}: ${(error as Error).message}${where}`]);
  }
}

/**
 * A composition error as one line. Its AST nodes, when it has any, locate it: most carry the
 * subgraph's name, and each one's source is named after the schema file it was parsed from.
 */
function describeError(error: GraphQLError, subgraphBySource: Map<string, string>): string {
  const nodes = (error.nodes ?? []) as (ASTNode & { subgraph?: string })[];
  const subgraphs = new Set<string>();
  const locations = new Set<string>();
  for (const node of nodes) {
    const subgraph = node.subgraph ?? (node.loc && subgraphBySource.get(node.loc.source.name));
    if (subgraph) subgraphs.add(subgraph);
    if (node.loc) {
      const { line, column } = getLocation(node.loc.source, node.loc.start);
      locations.add(`${node.loc.source.name}:${line}:${column}`);
    }
  }
  const names = [...subgraphs];
  // Validation errors of a single subgraph already start with "[name] ".
  const message = names.length === 1 ? error.message.replace(`[${names[0]}] `, '') : error.message;
  const code = error.extensions?.code;
  return `${names.join(', ') || 'composition'}: ${code ? `[${code}] ` : ''}${message}${locations.size ? ` (at ${[...locations].join(', ')})` : ''}`;
}

/**
 * Composes the supergraph described by a rover-format config. `overrides` replaces routing URLs
 * by subgraph name (tests point them at servers on port 0). Throws SupergraphConfigError or
 * CompositionError; never exits the process.
 */
export function composeSupergraph(configPath: string, overrides: Record<string, string> = {}): { supergraphSdl: string } {
  const config = readSupergraphConfig(configPath);
  const unknown = Object.keys(overrides).filter((name) => !config.subgraphs.some((s) => s.name === name));
  if (unknown.length) {
    throw new SupergraphConfigError(`routing URL override for unknown subgraph ${unknown.join(', ')} (known: ${config.subgraphs.map((s) => s.name).join(', ')})`);
  }
  const services = config.subgraphs.map((subgraph) => ({
    name: subgraph.name,
    url: overrides[subgraph.name] ?? subgraph.routingUrl,
    typeDefs: parseSubgraph(subgraph),
  }));
  const result = composeServices(services);
  if (result.errors) {
    const subgraphBySource = new Map(config.subgraphs.map((s) => [displayPath(s.schemaFile), s.name]));
    throw new CompositionError(result.errors.map((error) => describeError(error, subgraphBySource)));
  }
  // Stored and compared as a text file, which ends with a newline.
  return { supergraphSdl: result.supergraphSdl.endsWith('\n') ? result.supergraphSdl : `${result.supergraphSdl}\n` };
}

export type SupergraphFileState = 'fresh' | 'stale' | 'missing';

/** Compares a supergraph file on disk with freshly composed SDL (line endings aside, for Windows checkouts). */
export function supergraphFileState(file: string, supergraphSdl: string): SupergraphFileState {
  let current: string;
  try {
    current = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  return current.replace(/\r\n/g, '\n') === supergraphSdl ? 'fresh' : 'stale';
}
