/**
 * The topology as an inline SVG for the HTML inventory: registries in one column per role, flow
 * edges (promote, replicate, mirror, backup) between them. It lays out the same graph model the
 * Mermaid and DOT renderers use (topology/graph), leaving out the users and their push/pull edges:
 * a release manager's page is about where images go. Pure function of the graph; no script.
 */
import type { GraphEdge, GraphNode, TopologyGraph } from '../topology/graph/index.js';
import { clip, esc } from './html-escape.js';

const NODE_W = 190;
const NODE_H = 44;
const COL_GAP = 80;
const ROW_GAP = 22;
const PAD = 24;
/** Room left of the first column for same-column loops and their labels. */
const LOOP = 190;
const HEADER = 26;

/** Left to right the way images travel: upstreams and builds first, prod and copies of it last. */
const COLUMN_ORDER = ['upstreams', 'role_sandbox', 'role_ci', 'role_archive', 'role_prod', 'role_replica', 'backups'];

export type FlowKind = 'promote' | 'replicate' | 'mirror' | 'backup';

export function flowKind(edge: GraphEdge): FlowKind | undefined {
  const word = edge.label.split(' ')[0];
  return word === 'promote' || word === 'replicate' || word === 'mirror' || word === 'backup' ? word : undefined;
}

interface Placed {
  node: GraphNode;
  x: number;
  y: number;
}

export function renderTopologySvg(graph: TopologyGraph): string {
  const columns = graph.groups.filter((g) => g.id !== 'users' && g.nodes.length > 0)
    .sort((a, b) => rank(a.id) - rank(b.id));
  const placed = new Map<string, Placed>();
  columns.forEach((group, c) => {
    group.nodes.forEach((node, r) => {
      placed.set(node.id, { node, x: LOOP + c * (NODE_W + COL_GAP), y: PAD + HEADER + r * (NODE_H + ROW_GAP) });
    });
  });
  const rows = Math.max(1, ...columns.map((g) => g.nodes.length));
  const width = LOOP + PAD + Math.max(1, columns.length) * NODE_W + Math.max(0, columns.length - 1) * COL_GAP;
  const height = PAD * 2 + HEADER + rows * NODE_H + (rows - 1) * ROW_GAP + 8;

  const parts: string[] = [];
  columns.forEach((group, c) => {
    const x = LOOP + c * (NODE_W + COL_GAP) + NODE_W / 2;
    parts.push(`<text class="col" x="${x}" y="${PAD + 12}" text-anchor="middle">${esc(group.label)}</text>`);
  });
  const edges = graph.edges.filter((e) => e.kind === 'flow' && placed.has(e.from) && placed.has(e.to));
  for (const edge of edges) parts.push(edgeSvg(edge, placed.get(edge.from)!, placed.get(edge.to)!));
  for (const p of placed.values()) parts.push(nodeSvg(p));
  const legend = (['promote', 'replicate', 'mirror', 'backup'] as const)
    .map((k, i) => `<g transform="translate(${LOOP + i * 110},${height - 6})"><line class="edge ${k}" x1="0" y1="-4" x2="22" y2="-4"/><text class="legend" x="28" y="0">${k}</text></g>`)
    .join('');

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="topology" viewBox="0 0 ${width} ${height + 14}" width="${width}" role="img" aria-label="registry topology">`,
    '<defs>',
    ...(['promote', 'replicate', 'mirror', 'backup'] as const).map((k) => `<marker id="arrow-${k}" class="arrow ${k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker>`),
    '</defs>',
    ...parts,
    legend,
    '</svg>',
  ].join('\n');
}

function rank(groupId: string): number {
  const i = COLUMN_ORDER.indexOf(groupId);
  return i < 0 ? COLUMN_ORDER.length : i;
}

function nodeSvg({ node, x, y }: Placed): string {
  const [name = '', detail = ''] = node.label;
  return `<g class="node ${node.kind}" data-node="${esc(node.id)}"><title>${esc(node.label.join('\n'))}</title>`
    + `<rect x="${x}" y="${y}" width="${NODE_W}" height="${NODE_H}" rx="6"/>`
    + `<text class="name" x="${x + NODE_W / 2}" y="${y + 18}" text-anchor="middle">${esc(clip(name, 26))}</text>`
    + `<text class="detail" x="${x + NODE_W / 2}" y="${y + 34}" text-anchor="middle">${esc(clip(detail, 32))}</text></g>`;
}

function edgeSvg(edge: GraphEdge, from: Placed, to: Placed): string {
  const kind = flowKind(edge) ?? 'promote';
  let d: string;
  let lx: number;
  let ly: number;
  let anchor = 'middle';
  if (from.x === to.x) {
    // Same column (ci → ci, prod → a backup registry): a loop out to the left, where no edge
    // between columns runs, labelled beside it.
    const x = from.x;
    const y1 = from.y + NODE_H / 2;
    const y2 = to.y + NODE_H / 2;
    d = `M${x},${y1} C${x - 50},${y1} ${x - 50},${y2} ${x},${y2}`;
    lx = x - 42;
    ly = (y1 + y2) / 2 + 4;
    anchor = 'end';
  } else {
    const forward = to.x > from.x;
    const x1 = forward ? from.x + NODE_W : from.x;
    const x2 = forward ? to.x : to.x + NODE_W;
    const y1 = from.y + NODE_H / 2;
    const y2 = to.y + NODE_H / 2;
    const bend = (x2 - x1) / 2;
    d = `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`;
    lx = (x1 + x2) / 2;
    ly = (y1 + y2) / 2 - 5;
  }
  return `<g class="flow" data-kind="${kind}" data-from="${esc(edge.from)}" data-to="${esc(edge.to)}"><title>${esc(edge.label)}</title>`
    + `<path class="edge ${kind}" d="${d}" marker-end="url(#arrow-${kind})"/>`
    + `<text class="edge-label" x="${lx}" y="${ly}" text-anchor="${anchor}">${esc(clip(edge.label, 28))}</text></g>`;
}
