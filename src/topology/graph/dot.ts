/**
 * Graphviz DOT output, for `dot -Tsvg` / `-Tpng`. Groups become clusters; the same visual
 * vocabulary as the Mermaid output (see mermaid.ts) in Graphviz terms.
 */
import type { EdgeKind, GraphNode, NodeKind, TopologyGraph } from './topology-graph.js';

const NODE_SHAPES: Record<NodeKind, string> = { user: 'ellipse', registry: 'cylinder', upstream: 'hexagon', backup: 'folder' };
const EDGE_STYLES: Record<EdgeKind, string> = { push: '', pull: ', style=dashed', flow: ', penwidth=2' };

export function renderDot(graph: TopologyGraph): string {
  const lines = [
    'digraph regtopo {',
    ...(graph.environment !== undefined ? [`  // environment: ${graph.environment}`] : []),
    '  rankdir=LR;',
    '  node [fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  for (const group of graph.groups) {
    lines.push(`  subgraph cluster_${group.id} {`, `    label=${quote(group.label)};`);
    for (const node of group.nodes) lines.push(`    ${node.id} [${nodeAttributes(node)}];`);
    lines.push('  }');
  }
  for (const edge of graph.edges) lines.push(`  ${edge.from} -> ${edge.to} [label=${quote(edge.label)}${EDGE_STYLES[edge.kind]}];`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function nodeAttributes(node: GraphNode): string {
  return `label=${quote(node.label.join('\n'))}, shape=${NODE_SHAPES[node.kind]}`;
}

/** A DOT double-quoted string; "\n" inside becomes DOT's centred line break. */
function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}
