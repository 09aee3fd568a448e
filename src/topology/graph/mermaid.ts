/**
 * Mermaid flowchart output: renders on GitHub as-is. Shapes tell kinds apart (people are stadiums,
 * registries cylinders, upstreams hexagons, backup directories parallelograms); line styles tell
 * access from flows (push solid, pull dotted, flows thick).
 */
import type { EdgeKind, GraphNode, TopologyGraph } from './topology-graph.js';

const ARROWS: Record<EdgeKind, string> = { push: '-->', pull: '-.->', flow: '==>' };

export function renderMermaid(graph: TopologyGraph): string {
  const lines = ['flowchart LR'];
  if (graph.environment !== undefined) lines.push(`  %% environment: ${graph.environment}`);
  for (const group of graph.groups) {
    lines.push(`  subgraph ${group.id}["${escape(group.label)}"]`);
    for (const node of group.nodes) lines.push(`    ${node.id}${shape(node)}`);
    lines.push('  end');
  }
  for (const edge of graph.edges) lines.push(`  ${edge.from} ${ARROWS[edge.kind]}|"${escape(edge.label)}"| ${edge.to}`);
  return `${lines.join('\n')}\n`;
}

function shape(node: GraphNode): string {
  const text = `"${node.label.map(escape).join('<br/>')}"`;
  switch (node.kind) {
    case 'user':
      return `([${text}])`;
    case 'registry':
      return `[(${text})]`;
    case 'upstream':
      return `{{${text}}}`;
    case 'backup':
      return `[/${text}/]`;
  }
}

/** Mermaid has no backslash escapes inside quotes; entity codes are its way. */
function escape(text: string): string {
  return text.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}
