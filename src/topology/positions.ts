/**
 * Maps document paths back to line:column in the YAML source, so every diagnostic can point at the
 * node it is about, even after normalisation and environment overlays moved values around.
 */
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { NodePath } from './diagnostic.js';

export interface SourcePosition {
  line: number;
  column: number;
}

const START: SourcePosition = { line: 1, column: 1 };

export class SourcePositions {
  private readonly doc: Document | undefined;
  private readonly lines: LineCounter | undefined;
  /** Overlay redirects: a value that came from `environments.X…` is reported there. */
  private readonly redirects: { from: NodePath; to: NodePath }[] = [];

  constructor(doc?: Document, lines?: LineCounter) {
    this.doc = doc;
    this.lines = lines;
  }

  /** Where the value at `path` is; the nearest enclosing key when the value itself is absent. */
  at(path: NodePath): SourcePosition {
    const found = this.walk(this.redirect(path));
    if (found.complete && found.value && !isNullScalar(found.value)) return this.position(found.value);
    return found.anchor ? this.position(found.anchor) : START;
  }

  /** Where the key naming `path` is (for unknown keys and bad names); falls back like `at`. */
  keyAt(path: NodePath): SourcePosition {
    const found = this.walk(this.redirect(path));
    return found.anchor ? this.position(found.anchor) : START;
  }

  /** From now on, report `from` (and anything below it) at `to`. */
  redirectTo(from: NodePath, to: NodePath): void {
    this.redirects.push({ from, to });
  }

  /** Offsets straight from the parser (YAML syntax errors carry these). */
  fromOffset(offset: number): SourcePosition {
    if (!this.lines) return START;
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  private redirect(path: NodePath): NodePath {
    let best: { from: NodePath; to: NodePath } | undefined;
    for (const r of this.redirects) {
      if (startsWith(path, r.from) && (!best || r.from.length > best.from.length)) best = r;
    }
    return best ? [...best.to, ...path.slice(best.from.length)] : path;
  }

  /**
   * Follows `path` as far as the document goes. `anchor` is the last node that names the deepest
   * step reached: a map key, or a sequence item.
   */
  private walk(path: NodePath): { complete: boolean; value?: Node; anchor?: Node } {
    let node: unknown = this.doc?.contents;
    let anchor: Node | undefined;
    for (const step of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(step));
        if (!pair) return { complete: false, anchor };
        anchor = pair.key as Node;
        node = pair.value;
      } else if (isSeq(node) && typeof step === 'number' && step < node.items.length) {
        node = node.items[step];
        anchor = node as Node;
      } else {
        return { complete: false, anchor };
      }
    }
    return { complete: true, value: (node ?? undefined) as Node | undefined, anchor };
  }

  private position(node: Node): SourcePosition {
    return node.range ? this.fromOffset(node.range[0]) : START;
  }
}

function isNullScalar(node: Node): boolean {
  return isScalar(node) && node.value === null && node.source === '';
}

function startsWith(path: NodePath, prefix: NodePath): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => String(p) === String(path[i]));
}
