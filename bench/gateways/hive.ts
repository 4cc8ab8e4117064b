/**
 * Hive Gateway with its defaults: createGatewayRuntime from @graphql-hive/gateway-runtime on
 * node:http (the HTTP transport comes from @graphql-hive/gateway's dependencies).
 *   node dist/bench/hive.js <supergraph file> <port>
 */
import fs from 'node:fs';
import { createServer } from 'node:http';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';

const [file, port] = process.argv.slice(2);
const gateway = createGatewayRuntime({ supergraph: fs.readFileSync(file, 'utf8') });
const server = createServer(gateway);
server.listen(Number(port), '127.0.0.1', () => console.log(`hive gateway ready at http://127.0.0.1:${port}/graphql`));
