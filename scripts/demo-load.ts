// npm run demo:load [-- --seconds 60 --connections 20 --url http://localhost:4000/graphql]
// A bounded HomeFeed load against a running stack (npm start), to watch the scaling advisor at
// http://localhost:4090/admin name the hot subgraph (try DEMO_SLOW_SUBGRAPH=posts:150 npm start).
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const HOME_FEED = `query HomeFeed($first: Int = 20) { recentPosts(first: $first) { edges { node {
  id body createdAt likeCount viewerHasLiked author { handle displayName followerCount }
  attachedTrack { title durationMs artist { handle } } replies(first: 3) { edges { node { body author { handle } } } } } } } }`;

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://localhost:4000/graphql' },
    seconds: { type: 'string', default: '60' },
    connections: { type: 'string', default: '20' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
if (!(seconds > 0 && seconds <= 3600) || !(connections > 0 && connections <= 500)) {
  console.error('--seconds must be 1..3600 and --connections 1..500');
  process.exit(2);
}
const url = new URL(values.url!);
if (!['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
  console.error(`demo load goes to this machine only, not ${url.hostname}`);
  process.exit(2);
}

console.log(`HomeFeed against ${url} for ${seconds} s with ${connections} connections; advice at http://${url.hostname}:4090/admin`);
const result = await autocannon({
  url: url.toString(),
  method: 'POST',
  headers: { 'content-type': 'application/json', 'apollographql-client-name': 'demo-load' },
  body: JSON.stringify({ query: HOME_FEED, variables: { first: 10 } }),
  connections,
  duration: seconds,
});
console.log(
  `${result.requests.total} requests, ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${result.non2xx + result.errors} failed`,
);
process.exit(result.errors || result.non2xx ? 1 : 0);
