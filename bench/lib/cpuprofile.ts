/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time per category (package or Node
 * subsystem) and the top functions, over a time window of the profile.
 */
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Sampled milliseconds in the window, idle excluded. */
  busyMs: number;
  idleMs: number;
  categories: { category: string; ms: number; share: number }[];
  functions: { name: string; category: string; location: string; ms: number; share: number }[];
}

const GROUPS: [RegExp, string][] = [
  [/^@apollo\/(query-planner|federation-internals|query-graphs)$/, 'Apollo query planning (query-planner, federation-internals)'],
  [/^@apollo\/gateway$/, 'Apollo gateway execution (@apollo/gateway)'],
  [/^@apollo\/(server|utils\..*|usage-reporting-protobuf|server-gateway-interface)$/, 'Apollo Server'],
  [/^graphql$/, 'graphql-js'],
  [/^undici$/, 'undici (subgraph HTTP client)'],
  [/^(pino|sonic-boom|thread-stream|pino-std-serializers|fast-redact|on-exit-leak-free|quick-format-unescaped|safe-stable-stringify)$/, 'logging (pino)'],
  [/^jose$/, 'JWT (jose)'],
  [/^@opentelemetry\//, 'OpenTelemetry'],
  [/^(prom-client|tdigest|bintrees)$/, 'metrics (prom-client)'],
  [/^(tsx|esbuild|source-map.*)$/, 'tooling'],
];

const NODE_GROUPS: [RegExp, string][] = [
  [/(^|\/)(_http_|http\b|internal\/http)/, 'Node HTTP server/client'],
  [/(^|\/)(net|internal\/net|internal\/stream_base_commons|_tls_|tls)\b/, 'Node net/sockets'],
  [/(^|\/)(internal\/streams|stream)\b/, 'Node streams'],
  [/(^|\/)(internal\/async_hooks|async_hooks|internal\/async_local_storage)/, 'Node async_hooks / AsyncLocalStorage'],
  [/(^|\/)(internal\/timers|timers)\b/, 'Node timers'],
  [/(^|\/)(internal\/process\/task_queues|internal\/process\/promises)/, 'Node microtask/promise queue'],
  [/(^|\/)(events|internal\/event_target)\b/, 'Node events'],
  [/(^|\/)(buffer|internal\/buffer|string_decoder|internal\/encoding|internal\/util\/types)\b/, 'Node buffers/encoding'],
  [/(^|\/)(internal\/crypto|crypto|internal\/webcrypto)/, 'Node crypto'],
  [/(^|\/)(internal\/deps\/undici)/, 'undici (Node built-in fetch)'],
];

const NATIVE: Record<string, string> = {
  '(garbage collector)': 'garbage collector',
  '(program)': 'V8/native (program)',
  '(idle)': 'idle',
  '(root)': 'idle',
  stringify: 'JSON (stringify/parse)',
  parse: 'JSON (stringify/parse)',
  // Socket writes: the native binding, including the write system call itself.
  writev: 'socket writes (native writev/write, syscall included)',
  writeBuffer: 'socket writes (native writev/write, syscall included)',
  writeString: 'socket writes (native writev/write, syscall included)',
  writeUtf8String: 'socket writes (native writev/write, syscall included)',
  writeLatin1String: 'socket writes (native writev/write, syscall included)',
  writeAsciiString: 'socket writes (native writev/write, syscall included)',
  runMicrotasks: 'Node microtask/promise queue',
};

function packageOf(url: string): string | undefined {
  const index = url.lastIndexOf('/node_modules/');
  if (index < 0) return undefined;
  const rest = url.slice(index + '/node_modules/'.length).split('/');
  return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
}

export type CallFrame = ProfileNode['callFrame'];

export function categorise(frame: CallFrame, ownCode: (frame: CallFrame) => string | undefined): string {
  const { url, functionName } = frame;
  const own = url ? ownCode(frame) : undefined;
  if (own) return own;
  if (!url) return NATIVE[functionName] ?? (/^(JSON|JSONParse|JsonStringifier|JsonParser)/.test(functionName) ? 'JSON (stringify/parse)' : 'V8/native (builtins)');
  const pkg = packageOf(url);
  if (pkg) {
    for (const [pattern, group] of GROUPS) if (pattern.test(pkg)) return group;
    return `other packages (${pkg})`;
  }
  if (url.startsWith('node:')) {
    const module = url.slice('node:'.length);
    for (const [pattern, group] of NODE_GROUPS) if (pattern.test(module)) return group;
    return 'Node (other internals)';
  }
  return `other (${url.split('/').slice(-2).join('/')})`;
}

export function summariseProfile(
  file: string,
  options: { fromMs?: number; toMs?: number; ownCode: (frame: CallFrame) => string | undefined; locate?: (frame: CallFrame) => string | undefined; top?: number },
): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  let t = profile.startTime;
  const from = profile.startTime + (options.fromMs ?? 0) * 1000;
  const to = options.toMs === undefined ? Infinity : profile.startTime + options.toMs * 1000;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < from || t > to) continue;
    // A sample's time is the gap to the next sample.
    const delta = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + delta);
  }
  const categories = new Map<string, number>();
  const functions = new Map<string, { name: string; category: string; location: string; us: number }>();
  let busy = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const category = categorise(node.callFrame, options.ownCode);
    if (category === 'idle') {
      idle += us;
      continue;
    }
    busy += us;
    categories.set(category, (categories.get(category) ?? 0) + us);
    const { functionName, url, lineNumber } = node.callFrame;
    const location = options.locate?.(node.callFrame) ?? (url ? `${packageOf(url) ?? url.replace(/^.*\/(dist|src)\//, '$1/')}:${lineNumber + 1}` : '(native)');
    const key = `${functionName}@${location}`;
    const entry = functions.get(key) ?? { name: functionName || '(anonymous)', category, location, us: 0 };
    entry.us += us;
    functions.set(key, entry);
  }
  return {
    busyMs: busy / 1000,
    idleMs: idle / 1000,
    categories: [...categories].map(([category, us]) => ({ category, ms: us / 1000, share: us / busy })).sort((a, b) => b.ms - a.ms),
    functions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, options.top ?? 25)
      .map((f) => ({ name: f.name, category: f.category, location: f.location, ms: f.us / 1000, share: f.us / busy })),
  };
}
