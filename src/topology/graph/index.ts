/**
 * `regtopo graph`: the topology as a picture, in Mermaid (GitHub renders it) or Graphviz DOT.
 * Pure text out; deterministic for a given config so outputs can be committed and diffed.
 */
import { RegtopoError } from '../../errors.js';
import type { Topology } from '../model.js';
import { renderDot } from './dot.js';
import { renderMermaid } from './mermaid.js';
import { buildTopologyGraph } from './topology-graph.js';

export type GraphFormat = 'mermaid' | 'dot';
export const GRAPH_FORMATS: readonly GraphFormat[] = ['mermaid', 'dot'];

export { buildTopologyGraph, type TopologyGraph, type GraphNode, type GraphEdge, type GraphGroup } from './topology-graph.js';

export function renderGraph(config: Topology, format: GraphFormat = 'mermaid'): string {
  const graph = buildTopologyGraph(config);
  if (format === 'mermaid') return renderMermaid(graph);
  if (format === 'dot') return renderDot(graph);
  throw new RegtopoError('E_USAGE', `unknown graph format "${String(format)}"; use ${GRAPH_FORMATS.join(' or ')}`);
}
