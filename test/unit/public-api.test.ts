/**
 * The README's export list is the public API: it names exactly what src/index.ts exports, values
 * and types apart, so neither can change without the other. The value exports are also read from
 * the loaded module, so the text parse of src/index.ts cannot miss one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

/** Names exported by `export { … }` / `export type { … }` blocks of src/index.ts (`a as b` counts as b). */
function indexExports(): { values: string[]; types: string[] } {
  const text = readFileSync(join(ROOT, 'src/index.ts'), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
  const values: string[] = [];
  const types: string[] = [];
  for (const m of text.matchAll(/export\s+(type\s+)?\{([^}]*)\}/g)) {
    for (const raw of m[2]!.split(',')) {
      const item = raw.trim();
      if (!item) continue;
      const isType = Boolean(m[1]) || item.startsWith('type ');
      const name = item.replace(/^type\s+/, '').split(/\s+as\s+/).pop()!;
      (isType ? types : values).push(name);
    }
  }
  return { values: values.sort(), types: types.sort() };
}

/** Backticked names of the README's export list, split at each line's "types:". */
function readmeExports(): { values: string[]; types: string[] } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const list = /<!-- exports:start -->([\s\S]*?)<!-- exports:end -->/.exec(readme)?.[1];
  if (!list) throw new Error('README.md has no <!-- exports:start --> … <!-- exports:end --> list');
  const names = (s: string) => [...s.matchAll(/`([A-Za-z_$][\w$]*)`/g)].map((m) => m[1]!);
  const values: string[] = [];
  const types: string[] = [];
  for (const line of list.split('\n')) {
    const [before, after = ''] = line.split(/;\s*types:/);
    values.push(...names(before!.replace(/^[^:]*:/, '')));
    types.push(...names(after));
  }
  return { values: values.sort(), types: types.sort() };
}

describe('public API', () => {
  it('the README lists exactly the value and type exports of src/index.ts', () => {
    const index = indexExports();
    const readme = readmeExports();
    expect(readme.values).toEqual(index.values);
    expect(readme.types).toEqual(index.types);
  });

  it('the parsed value exports are the module\'s runtime exports', async () => {
    const mod = await import('../../src/index.js');
    expect(Object.keys(mod).sort()).toEqual(indexExports().values);
  });

  it('leaves the demo, the test harness and internals out', async () => {
    const mod = (await import('../../src/index.js')) as Record<string, unknown>;
    for (const internal of ['startLocalRegistry', 'runMirrorDemo', 'acquireLock', 'shardOf', 'historyTag', 'parseQuota', 'hashPlan', 'runCommandHook', 'planPromotion', 'listRecords']) {
      expect(mod[internal], internal).toBeUndefined();
    }
  });
});
