import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { Kind, parse, type EnumTypeDefinitionNode, type StringValueNode } from 'graphql';

export interface SubgraphEndpoint {
  name: string;
  url: string;
}

export interface Supergraph {
  sdl: string;
  /** Short content hash, to tell versions apart in logs and /ready. */
  hash: string;
  subgraphs: SubgraphEndpoint[];
}

/** Reads the subgraph names and routing URLs from a supergraph's `join__Graph` enum. */
export function subgraphsOf(sdl: string): SubgraphEndpoint[] {
  const document = parse(sdl, { noLocation: true });
  const graphEnum = document.definitions.find((d): d is EnumTypeDefinitionNode => d.kind === Kind.ENUM_TYPE_DEFINITION && d.name.value === 'join__Graph');
  if (!graphEnum) throw new Error('not a supergraph: no join__Graph enum');
  return (graphEnum.values ?? []).map((value) => {
    const directive = value.directives?.find((d) => d.name.value === 'join__graph');
    const arg = (name: string) => (directive?.arguments?.find((a) => a.name.value === name)?.value as StringValueNode | undefined)?.value;
    return { name: arg('name') ?? value.name.value.toLowerCase(), url: arg('url') ?? '' };
  });
}

export async function loadSupergraph(path: string): Promise<Supergraph> {
  let sdl: string;
  try {
    sdl = await fs.readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read supergraph ${path}: ${(error as Error).message}`);
  }
  let subgraphs: SubgraphEndpoint[];
  try {
    subgraphs = subgraphsOf(sdl);
  } catch (error) {
    throw new Error(`invalid supergraph ${path}: ${(error as Error).message}`);
  }
  return { sdl, hash: createHash('sha256').update(sdl).digest('hex').slice(0, 12), subgraphs };
}
