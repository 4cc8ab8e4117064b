/**
 * The stock gateway: @apollo/server 5 startStandaloneServer + new ApolloGateway({ supergraphSdl }),
 * nothing else (no data source, no plugins, default options).
 *   node dist/bench/stock.js <supergraph file> <port>
 */
import fs from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

const [file, port] = process.argv.slice(2);
const server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl: fs.readFileSync(file, 'utf8') }) });
const { url } = await startStandaloneServer(server, { listen: { port: Number(port), host: '127.0.0.1' } });
console.log(`stock gateway ready at ${url}`);
