import fs from 'node:fs';
import type { TestProject } from 'vitest/node';
import { media } from '@crossfade/media';
import { posts } from '@crossfade/posts';
import { users } from '@crossfade/users';
import { openDatabase, type SubgraphDefinition } from '@crossfade/kit';
import { pgTemplate, pgUrl, sqliteTemplate, templateDir, withAdmin, type SubgraphName, type TestRun } from './databases.ts';

const definitions: SubgraphDefinition<any, any>[] = [users, posts, media];

async function seedInto(definition: SubgraphDefinition<any, any>, target: { sqliteFile?: string; databaseUrl?: string }) {
  const database = await openDatabase({ service: definition.name, ...target }, definition.migrations);
  try {
    await definition.seed(database);
  } finally {
    await database.close();
  }
}

/** Seeds every subgraph once per run, as a SQLite file and a PostgreSQL template database; tests copy them. */
export default async function setup(project: TestProject) {
  const run: TestRun = { id: String(process.pid) };
  fs.mkdirSync(templateDir(run), { recursive: true });
  const templates = definitions.map((definition) => pgTemplate(run, definition.name as SubgraphName));
  await Promise.all(
    definitions.map(async (definition, i) => {
      await seedInto(definition, { sqliteFile: sqliteTemplate(run, definition.name as SubgraphName) });
      await withAdmin(async (client) => {
        await client.query(`DROP DATABASE IF EXISTS ${templates[i]} WITH (FORCE)`);
        await client.query(`CREATE DATABASE ${templates[i]}`);
      });
      await seedInto(definition, { databaseUrl: pgUrl(templates[i]) });
    }),
  );
  project.provide('testRun', run);
  return async () => {
    fs.rmSync(templateDir(run), { recursive: true, force: true });
    await withAdmin(async (client) => {
      for (const template of templates) await client.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    });
  };
}
