/**
 * GET /admin: a self-contained page for people (no external assets, so it works on an isolated admin
 * port). The server renders one card per subgraph from a snapshot, so the figures are there without
 * JavaScript; an inline script then polls `<page>/scaling` and `<page>/history` every few seconds, updates
 * the cards in place (adding cards for new subgraphs from a <template>) and draws the last 10 minutes as
 * inline SVG.
 */
import type { ScalingHistory, ScalingSnapshot, SubgraphScaling } from './advisor.ts';
import { formatFigure, formatPercent } from './reason.ts';

export const PAGE_REFRESH_SECONDS = 5;

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const ms = (seconds: number | null) => (seconds === null ? 'n/a' : `${formatFigure(seconds * 1000)} ms`);

/** The text of each field of a card, keyed by its data-field; the page script's fieldsOf() must agree. */
export function cardFields(sub: SubgraphScaling): Record<string, string> {
  return {
    subgraph: sub.subgraph,
    replicas: `${sub.currentReplicas} → ${sub.desiredReplicas}`,
    reason: sub.reason,
    criticalPathShare: formatPercent(sub.criticalPathShare),
    arrivalRate: `${formatFigure(sub.arrivalRate)} /s`,
    latency: `${ms(sub.latency.mean)} · ${ms(sub.latency.p50)} · ${ms(sub.latency.p95)} · ${ms(sub.latency.p99)}`,
    inflight: formatFigure(sub.inflight),
    errorRate: formatPercent(sub.errorRate),
  };
}

const EMPTY_FIELDS: Record<string, string> = {
  subgraph: '',
  replicas: '',
  reason: '',
  criticalPathShare: '',
  arrivalRate: '',
  latency: '',
  inflight: '',
  errorRate: '',
};

/** The direction of the advice, as a class the page colours (the script toggles the same classes). */
const direction = (sub: SubgraphScaling) => (sub.desiredReplicas > sub.currentReplicas ? ' up' : sub.desiredReplicas < sub.currentReplicas ? ' down' : '');

function card(fields: Record<string, string>, subgraph: string, modifier = ''): string {
  const f = (name: string) => `<span data-field="${name}">${escapeHtml(fields[name] ?? '')}</span>`;
  return `<article class="card${modifier}" data-subgraph="${escapeHtml(subgraph)}">
  <header><h2>${f('subgraph')}</h2><p class="replicas">${f('replicas')} replicas</p></header>
  <p class="reason">${f('reason')}</p>
  <dl>
    <dt>critical path</dt><dd>${f('criticalPathShare')}</dd>
    <dt>arrival rate</dt><dd>${f('arrivalRate')}</dd>
    <dt>latency mean · p50 · p95 · p99</dt><dd>${f('latency')}</dd>
    <dt>in flight (λ·W)</dt><dd>${f('inflight')} <small>measured <span data-field="measuredInflight">n/a</span></small></dd>
    <dt>errors</dt><dd>${f('errorRate')}</dd>
  </dl>
  <figure><figcaption>desired replicas, last 10 min</figcaption><svg data-chart="desiredReplicas" viewBox="0 0 300 60" preserveAspectRatio="none" role="img"></svg></figure>
  <figure><figcaption>requests/s, last 10 min</figcaption><svg data-chart="arrivalRate" viewBox="0 0 300 60" preserveAspectRatio="none" role="img"></svg></figure>
</article>`;
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2433; background: #f6f7f9; }
h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
#status { color: #5b6478; margin: 0 0 1rem; }
#status.error { color: #b3261e; }
#cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 1rem; }
.card { background: #fff; border: 1px solid #dde1e8; border-radius: 8px; padding: .9rem 1rem; }
.card header { display: flex; justify-content: space-between; align-items: baseline; }
.card h2 { font-size: 1.15rem; margin: 0; }
.replicas { font-weight: 600; margin: 0; }
.card.up .replicas { color: #b3261e; }
.card.down .replicas { color: #1b6e3a; }
.reason { font-family: ui-monospace, monospace; font-size: 12px; color: #3b4356; margin: .4rem 0; }
dl { display: grid; grid-template-columns: auto 1fr; gap: .15rem .8rem; margin: .4rem 0; }
dt { color: #5b6478; } dd { margin: 0; font-variant-numeric: tabular-nums; }
figure { margin: .5rem 0 0; } figcaption { font-size: 12px; color: #5b6478; }
svg { width: 100%; height: 60px; background: #fafbfc; border: 1px solid #eef0f4; }
svg polyline { fill: none; stroke: #2f5bd3; stroke-width: 1.5; vector-effect: non-scaling-stroke; }
svg text { font-size: 9px; fill: #5b6478; }
`;

/**
 * The page script. Kept as plain ES2020 in a string (it runs in the browser, untranspiled); fieldsOf()
 * mirrors cardFields() above, which a test checks by running this script without a document.
 */
export const PAGE_SCRIPT = String.raw`
function fig(value) {
  if (!Number.isFinite(value)) return 'n/a';
  if (Math.abs(value) >= 10) return String(Math.round(value));
  return String(Number(value.toPrecision(2)));
}
function pct(fraction) { return Math.round(fraction * 100) + '%'; }
function ms(seconds) { return seconds === null ? 'n/a' : fig(seconds * 1000) + ' ms'; }
function fieldsOf(sub) {
  return {
    subgraph: sub.subgraph,
    replicas: sub.currentReplicas + ' \u2192 ' + sub.desiredReplicas,
    reason: sub.reason,
    criticalPathShare: pct(sub.criticalPathShare),
    arrivalRate: fig(sub.arrivalRate) + ' /s',
    latency: [sub.latency.mean, sub.latency.p50, sub.latency.p95, sub.latency.p99].map(ms).join(' \u00b7 '),
    inflight: fig(sub.inflight),
    errorRate: pct(sub.errorRate),
  };
}
function chart(svg, samples, key, now, spanMs) {
  var width = 300, height = 60, top = 10;
  var points = samples.filter(function (s) { return s[key] !== null && s.t >= now - spanMs; });
  var max = Math.max(1, Math.max.apply(null, points.map(function (s) { return s[key]; })));
  var xy = points.map(function (s) {
    var x = width - ((now - s.t) / spanMs) * width;
    var y = height - (s[key] / max) * (height - top);
    return x.toFixed(1) + ',' + y.toFixed(1);
  });
  svg.innerHTML = '<polyline points="' + xy.join(' ') + '"></polyline><text x="2" y="9">max ' + fig(max) + '</text>';
}
function start() {
  var base = location.pathname.replace(/\/+$/, '');
  var cards = document.getElementById('cards');
  var status = document.getElementById('status');
  var template = document.getElementById('card-template');
  function cardFor(name) {
    var found = cards.querySelector('[data-subgraph="' + CSS.escape(name) + '"]');
    if (found) return found;
    var node = template.content.firstElementChild.cloneNode(true);
    node.setAttribute('data-subgraph', name);
    return node;
  }
  function render(scaling, history) {
    scaling.subgraphs.forEach(function (sub) {
      var node = cardFor(sub.subgraph);
      var fields = fieldsOf(sub);
      Object.keys(fields).forEach(function (k) { node.querySelector('[data-field="' + k + '"]').textContent = fields[k]; });
      node.classList.toggle('up', sub.desiredReplicas > sub.currentReplicas);
      node.classList.toggle('down', sub.desiredReplicas < sub.currentReplicas);
      var series = (history.subgraphs.find(function (h) { return h.subgraph === sub.subgraph; }) || { samples: [] }).samples;
      var last = series[series.length - 1];
      node.querySelector('[data-field="measuredInflight"]').textContent = last && last.measuredInflight !== null ? fig(last.measuredInflight) : 'n/a';
      var now = last ? Math.max(last.t, Date.parse(scaling.generatedAt) || last.t) : 0;
      node.querySelectorAll('svg[data-chart]').forEach(function (svg) { chart(svg, series, svg.getAttribute('data-chart'), now, history.windowSeconds * 1000); });
      cards.appendChild(node); // in the snapshot's order: hottest first
    });
    status.textContent = 'updated ' + new Date().toLocaleTimeString() + ' \u00b7 advice at ' + scaling.generatedAt + ' \u00b7 refreshes every ' + REFRESH_SECONDS + ' s';
    status.className = '';
  }
  function poll() {
    Promise.all([fetch(base + '/scaling'), fetch(base + '/history')])
      .then(function (rs) {
        rs.forEach(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); });
        return Promise.all(rs.map(function (r) { return r.json(); }));
      })
      .then(function (bodies) { render(bodies[0], bodies[1]); })
      .catch(function (error) { status.textContent = 'refresh failed: ' + error.message + ' (retrying)'; status.className = 'error'; })
      .finally(function () { setTimeout(poll, REFRESH_SECONDS * 1000); });
  }
  var initial = JSON.parse(document.getElementById('initial').textContent);
  render(initial.scaling, initial.history);
  setTimeout(poll, REFRESH_SECONDS * 1000);
}
if (typeof document !== 'undefined') start();
`;

/** A fresh page; `nonce` must match the script-src of the response's Content-Security-Policy. */
export function renderAdminPage(scaling: ScalingSnapshot, history: ScalingHistory, nonce: string): string {
  // Embedded JSON must not close the script element early.
  const initial = JSON.stringify({ scaling, history }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Crossfade scaling advice</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<h1>Crossfade scaling advice</h1>
<p id="status">advice at ${escapeHtml(scaling.generatedAt)}</p>
<main id="cards">
${scaling.subgraphs.map((sub) => card(cardFields(sub), sub.subgraph, direction(sub))).join('\n')}
</main>
<template id="card-template">${card(EMPTY_FIELDS, '')}</template>
<noscript><p>Without JavaScript this page does not refresh; the figures are also at <a href="admin/scaling">/admin/scaling</a>.</p></noscript>
<script type="application/json" id="initial">${initial}</script>
<script nonce="${nonce}">const REFRESH_SECONDS = ${PAGE_REFRESH_SECONDS};${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
