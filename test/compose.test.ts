import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeSupergraph, CompositionError, SupergraphConfigError } from '../scripts/lib/compose.ts';
import { defaultConfigPath, defaultSupergraphPath, repoRoot } from '../scripts/lib/paths.ts';

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])\n';

let dir: string;
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crossfade-compose-'));
  write('users.graphql', `${LINK}type Query { user(id: ID!): User }\ntype User @key(fields: "id") { id: ID! name: String! }\n`);
  // The same field with another type, and without @shareable: composition must refuse it.
  write('posts.graphql', `${LINK}type Query { posts: [ID!]! }\ntype User @key(fields: "id") { id: ID! name: Int! }\n`);
  write(
    'broken.yaml',
    [
      'federation_version: =2.7.1',
      'subgraphs:',
      '  users: { routing_url: http://localhost:4001/graphql, schema: { file: ./users.graphql } }',
      '  posts: { routing_url: http://localhost:4002/graphql, schema: { file: ./posts.graphql } }',
      '',
    ].join('\n'),
  );
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('supergraph.graphql', () => {
  it('is the composition of supergraph.yaml', () => {
    const { supergraphSdl } = composeSupergraph(defaultConfigPath);
    const committed = fs.readFileSync(defaultSupergraphPath, 'utf8').replace(/\r\n/g, '\n');
    expect(committed === supergraphSdl, 'supergraph.graphql is stale: run npm run compose').toBe(true);
  });

  it('takes routing URL overrides by subgraph name', () => {
    const { supergraphSdl } = composeSupergraph(defaultConfigPath, { posts: 'http://127.0.0.1:54321/graphql' });
    expect(supergraphSdl).toContain('@join__graph(name: "posts", url: "http://127.0.0.1:54321/graphql")');
    expect(supergraphSdl).toContain('@join__graph(name: "users", url: "http://localhost:4001/graphql")');
    expect(() => composeSupergraph(defaultConfigPath, { postz: 'http://x/graphql' })).toThrow(/unknown subgraph postz/);
  });
});

describe('composeSupergraph', () => {
  it('throws every composition error, naming the subgraphs and the code', () => {
    let error: unknown;
    try {
      composeSupergraph(path.join(dir, 'broken.yaml'));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CompositionError);
    const { errors, message } = error as CompositionError;
    expect(errors).toContainEqual(expect.stringMatching(/^posts, users: \[FIELD_TYPE_MISMATCH\] Type of field "User\.name" is incompatible/));
    expect(errors).toContainEqual(expect.stringMatching(/^posts, users: \[INVALID_FIELD_SHARING\] /));
    expect(message).toMatch(/users\.graphql:3:\d+/);
  });

  it('rejects a config without routing_url, naming the file and the subgraph', () => {
    const config = write('no-url.yaml', 'federation_version: 2\nsubgraphs:\n  users:\n    schema: { file: ./users.graphql }\n');
    expect(() => composeSupergraph(config)).toThrow(SupergraphConfigError);
    expect(() => composeSupergraph(config)).toThrow(`${config}: subgraph "users": \`routing_url\` is missing`);
  });

  it('rejects schema sources other than a file', () => {
    const config = write(
      'introspect.yaml',
      'federation_version: 2\nsubgraphs:\n  users:\n    routing_url: http://localhost:4001/graphql\n    schema: { subgraph_url: http://localhost:4001/graphql }\n',
    );
    expect(() => composeSupergraph(config)).toThrow(/schema source `subgraph_url` .* is unsupported/);
  });

  it('reports a syntax error with its file location', () => {
    const config = write('syntax.yaml', 'federation_version: 2\nsubgraphs:\n  users: { routing_url: http://u/graphql, schema: { file: ./syntax.graphql } }\n');
    write('syntax.graphql', 'type Query {\n  me: User\n');
    expect(() => composeSupergraph(config)).toThrow(/users: Syntax Error: .* \(at .*syntax\.graphql:3:1\)/);
  });
});

describe('npm run compose', () => {
  it('exits non-zero on a broken config, prints the errors and writes nothing', async () => {
    const output = path.join(dir, 'out.graphql');
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/compose.ts', '--config', path.join(dir, 'broken.yaml'), '--output', output], {
      cwd: repoRoot,
    });
    const failure = await run.then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toMatch(/posts, users: \[FIELD_TYPE_MISMATCH\]/);
    expect(fs.existsSync(output)).toBe(false);
  }, 30_000);
});
