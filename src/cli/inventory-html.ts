/**
 * `regtopo inventory --output html`: one self-contained page for release managers: the topology as
 * an inline SVG, then per image a row per stage (digest, tags, statuses coloured by the verdict of
 * the gates that promote out of that stage, approvals, replica sync) and its promotion history.
 * No script, no external style, font or image: it opens from a file, offline, and every value is
 * escaped (registries and topology files are not trusted). Pure function of the data.
 */
import type { HistoryEntry } from '../ops/promotion/history.js';
import type { InventoryEntry } from '../ops/promotion/inventory.js';
import { evaluateGates, type GateResult } from '../ops/promotion/gates.js';
import type { StatusEntry } from '../ops/promotion/statuses.js';
import { buildTopologyGraph } from '../topology/graph/index.js';
import type { Topology } from '../topology/model.js';
import { esc } from './html-escape.js';
import { renderTopologySvg } from './topology-svg.js';

export interface InventoryPageData {
  topology: Topology;
  entries: InventoryEntry[];
  /** Promotion history per image name, newest first. */
  histories: Record<string, HistoryEntry[]>;
  generatedAt: Date;
  version: string;
}

export function renderInventoryHtml(data: InventoryPageData): string {
  const images = [...new Set(data.entries.map((e) => e.image))];
  const env = data.topology.environment ? ` (environment ${data.topology.environment})` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>regtopo inventory</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>Registry inventory${esc(env)}</h1><p class="meta">generated ${esc(data.generatedAt.toISOString())} by regtopo ${esc(data.version)}</p></header>
<section id="topology"><h2>Topology</h2>
<div class="svg-wrap">${renderTopologySvg(buildTopologyGraph(data.topology))}</div>
</section>
${images.map((image) => imageSection(image, data)).join('\n')}
${images.length === 0 ? '<p class="empty">No promotion images in this topology.</p>' : ''}
</body>
</html>
`;
}

function imageSection(image: string, data: InventoryPageData): string {
  const entries = data.entries.filter((e) => e.image === image);
  const history = data.histories[image] ?? [];
  return `<section class="image" data-image="${esc(image)}"><h2>${esc(image)}</h2>
<table class="stages"><thead><tr><th>Stage</th><th>Registry</th><th>Digest</th><th>Tags</th><th>Statuses</th><th>Approvals</th><th>Replicas</th><th>Promoted</th></tr></thead>
<tbody>
${entries.map((e) => stageRow(e, data.topology)).join('\n')}
</tbody></table>
<h3>Promotion history</h3>
${history.length === 0 ? '<p class="empty">not promoted yet</p>' : historyTable(history)}
</section>`;
}

function stageRow(e: InventoryEntry, topology: Topology): string {
  const cells = [
    `<td class="stage">${esc(e.stage)}</td>`,
    `<td>${esc(e.registry)}<div class="sub">${esc(e.repository)}</div></td>`,
  ];
  if (!e.digest) {
    cells.push('<td colspan="6" class="empty">nothing yet</td>');
    return `<tr data-stage="${esc(e.stage)}">${cells.join('')}</tr>`;
  }
  cells.push(`<td class="digest" title="${esc(e.digest)}"><code>${esc(shortDigest(e.digest))}</code></td>`);
  cells.push(`<td>${e.tags.map((t) => `<span class="tag">${esc(t)}</span>`).join(' ')}</td>`);
  cells.push(`<td>${statusChips(e, topology)}</td>`);
  cells.push(`<td>${e.approvals.length ? e.approvals.map(approvalLine).join('') : '<span class="none">—</span>'}</td>`);
  cells.push(`<td>${replicaLines(e)}</td>`);
  cells.push(`<td>${e.promotedAt ? `${esc(e.promotedAt)}<div class="sub">by ${esc(e.promotedBy)}</div>` : '<span class="none">—</span>'}</td>`);
  return `<tr data-stage="${esc(e.stage)}">${cells.join('')}</tr>`;
}

/**
 * Statuses coloured by the gates of the stages that promote out of this entry's registry: pass,
 * fail (wrong value), missing (a gate wants it and nothing is recorded), or plain when no gate
 * reads it.
 */
function statusChips(e: InventoryEntry, topology: Topology): string {
  const gates = topology.promotion.stages.filter((s) => s.from === e.registry).flatMap((s) => s.gates);
  const current = e.statuses.map((s): StatusEntry => ({ ...s, record: '', tag: '' }) as unknown as StatusEntry);
  const results = evaluateGates(gates, current).results;
  const byStatus = new Map<string, GateResult[]>();
  for (const r of results) byStatus.set(r.status, [...(byStatus.get(r.status) ?? []), r]);
  const chips = e.statuses.map((s) => {
    const verdicts = byStatus.get(s.name);
    const verdict = !verdicts ? 'ungated' : verdicts.every((r) => r.satisfied) ? 'pass' : 'fail';
    const why = verdicts ? verdicts.map((r) => r.reason).join('; ') : 'no gate reads this status';
    return `<span class="status ${verdict}" data-verdict="${verdict}" title="${esc(`${why} — by ${s.by} at ${s.at}`)}">${esc(s.name)}=${esc(s.value)}</span>`;
  });
  const missing = results.filter((r) => r.value === undefined);
  for (const r of missing) chips.push(`<span class="status missing" data-verdict="missing" title="${esc(r.reason)}">${esc(r.status)} missing</span>`);
  return chips.length ? chips.join(' ') : '<span class="none">—</span>';
}

function approvalLine(a: InventoryEntry['approvals'][number]): string {
  // Signed approvals arrive with issue 10; the field is shown whenever the data carries it.
  const signed = (a as { signed?: boolean }).signed;
  const mark = signed === undefined ? '' : signed ? ' <span class="signed">signed</span>' : ' <span class="unsigned">unsigned</span>';
  return `<div class="approval ${esc(a.decision)}">${esc(a.stage)}: <b>${esc(a.decision)}</b> by ${esc(a.by)}${mark}<div class="sub">${esc(a.at)}</div></div>`;
}

function replicaLines(e: InventoryEntry): string {
  if (!e.replicas?.length) return '<span class="none">—</span>';
  return e.replicas.map((r) => {
    const state = r.error ? 'unreachable' : r.inSync ? 'in-sync' : 'out-of-sync';
    const text = r.error ? `unreachable [${r.error.code}]` : r.inSync ? 'in sync' : r.digest ? `out of sync (${shortDigest(r.digest)})` : 'out of sync (missing)';
    return `<div class="replica ${state}" data-sync="${state}">${esc(r.name)}: ${esc(text)}</div>`;
  }).join('');
}

function historyTable(history: HistoryEntry[]): string {
  const rows = history.map((h) => `<tr><td>${esc(h.at)}</td><td>${esc(h.stage)}</td><td>${esc(h.from)} → ${esc(h.to)}</td><td title="${esc(h.digest)}"><code>${esc(shortDigest(h.digest))}</code></td>`
    + `<td>${h.targets.map((t) => `<span class="tag">${esc(t.slice(t.lastIndexOf(':') + 1))}</span>`).join(' ')}</td><td>${esc(h.version ?? '')}</td><td>${esc(h.by)}</td><td>${esc(h.approvedBy.join(', ') || '—')}</td></tr>`);
  return `<table class="history"><thead><tr><th>When</th><th>Stage</th><th>From → to</th><th>Digest</th><th>Tags</th><th>Version</th><th>By</th><th>Approved by</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function shortDigest(digest: string): string {
  const [alg, hex = ''] = digest.split(':');
  return `${alg}:${hex.slice(0, 12)}`;
}

const STYLE = `
:root { color-scheme: light; --ink: #1f2933; --muted: #66788a; --line: #d9e2ec; --bg: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg); }
h1 { margin: 0; font-size: 22px; } h2 { font-size: 18px; margin: 0 0 10px; } h3 { font-size: 14px; margin: 16px 0 6px; color: var(--muted); }
.meta { margin: 4px 0 0; color: var(--muted); font-size: 12px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 18px; margin-top: 18px; }
.svg-wrap { overflow-x: auto; }
svg.topology { max-width: 100%; height: auto; font-family: system-ui, sans-serif; }
svg .col { font-size: 12px; font-weight: 600; fill: var(--muted); text-transform: uppercase; letter-spacing: .06em; }
svg .node rect { fill: #fff; stroke: #9fb3c8; stroke-width: 1.5; }
svg .node.upstream rect { fill: #fff8e6; stroke: #e6a23c; }
svg .node.backup rect { fill: #f0f4f8; stroke: #829ab1; stroke-dasharray: 4 3; }
svg .node .name { font-size: 13px; font-weight: 600; fill: var(--ink); }
svg .node .detail { font-size: 10.5px; fill: var(--muted); }
svg .edge { fill: none; stroke-width: 2; }
svg .edge-label, svg .legend { font-size: 10.5px; fill: var(--ink); paint-order: stroke; stroke: #fff; stroke-width: 3px; }
svg .edge.promote { stroke: #2f6fdb; } svg .arrow.promote { fill: #2f6fdb; }
svg .edge.replicate { stroke: #2e9e5b; } svg .arrow.replicate { fill: #2e9e5b; }
svg .edge.mirror { stroke: #d98a1c; } svg .arrow.mirror { fill: #d98a1c; }
svg .edge.backup { stroke: #829ab1; stroke-dasharray: 5 4; } svg .arrow.backup { fill: #829ab1; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
td.stage { font-weight: 600; }
.sub { color: var(--muted); font-size: 12px; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
.tag { display: inline-block; background: #eef2f7; border-radius: 4px; padding: 0 6px; font: 12px ui-monospace, monospace; margin: 1px 0; }
.status { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; margin: 1px 0; border: 1px solid transparent; }
.status.pass { background: #e3f6ea; color: #1b6b3a; border-color: #9bd5b0; }
.status.fail { background: #fde8e8; color: #9b1c1c; border-color: #f5a5a5; }
.status.missing { background: #fff; color: #9b1c1c; border: 1px dashed #f5a5a5; }
.status.ungated { background: #eef2f7; color: #52606d; }
.approval.approved b { color: #1b6b3a; } .approval.rejected b { color: #9b1c1c; }
.signed { color: #1b6b3a; font-size: 11px; } .unsigned { color: #b7791f; font-size: 11px; }
.replica.in-sync { color: #1b6b3a; } .replica.out-of-sync, .replica.unreachable { color: #9b1c1c; }
.none, .empty { color: var(--muted); }
`;
