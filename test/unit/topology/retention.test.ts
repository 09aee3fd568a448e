import { describe, expect, it } from 'vitest';
import { parseTopology, requireValidTopology } from '../../../src/topology/index.js';
import { parseDuration } from '../../../src/topology/schema-retention.js';
import { report, yaml } from './yaml-text.js';

describe('retention policy in the topology', () => {
  it('normalises every part: keepNewest, olderThan in milliseconds, keep patterns', () => {
    const text = yaml`
      version: 1
      registries:
        ci: { role: ci, url: http://127.0.0.1:5102, retention: { keepNewest: 10, olderThan: 30d, keep: ['^v\\d'] } }
        sandbox: { role: sandbox, url: http://127.0.0.1:5101, retention: { olderThan: 12h } }
        other: { role: ci, url: http://127.0.0.1:5103 }
    `;
    const config = requireValidTopology(parseTopology(text, 'registries.yaml', { environ: {} }));
    expect(config.registries.ci!.retention).toEqual({ keepNewest: 10, olderThan: '30d', olderThanMs: 30 * 86_400_000, keep: ['^v\\d'] });
    expect(config.registries.sandbox!.retention).toEqual({ olderThan: '12h', olderThanMs: 12 * 3_600_000, keep: [] });
    expect(config.registries.other!.retention).toBeUndefined();
  });

  it('refuses retention on prod, replica and archive registries with the retention-role rule at the key', () => {
    const text = yaml`
      version: 1
      registries:
        prod:
          role: prod
          url: http://127.0.0.1:5104
          retention: { keepNewest: 3 }
        eu:
          role: replica
          url: http://127.0.0.1:5105
          replicaOf: prod
          retention: { olderThan: 30d }
        archive:
          role: archive
          url: http://127.0.0.1:5107
          retention: { keep: ['.*'] }
    `;
    expect(report(text)).toEqual([
      'registries.yaml:6:5: error [retention-role] registry "prod" (role prod) cannot have a retention policy: only sandbox and ci registries are pruned',
      'registries.yaml:11:5: error [retention-role] registry "eu" (role replica) cannot have a retention policy: only sandbox and ci registries are pruned',
      'registries.yaml:15:5: error [retention-role] registry "archive" (role archive) cannot have a retention policy: only sandbox and ci registries are pruned',
    ]);
  });

  it('reports a bad keep regex, a bad duration and unknown keys at their line and column', () => {
    const text = yaml`
      version: 1
      registries:
        ci:
          role: ci
          url: http://127.0.0.1:5102
          retention:
            olderThan: 30 days
            keepNewest: -1
            keep: ['^v\\d', '([unclosed']
            keepLast: 3
    `;
    const lines = report(text);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('registries.yaml:7:18: error [schema] a duration is a number and a unit: s, m, h, d or w (e.g. 30d, 12h)');
    expect(lines[1]).toMatch(/^registries\.yaml:8:19: error \[schema\] /);
    expect(lines[2]).toMatch(/^registries\.yaml:9:22: error \[schema\] invalid regular expression: /);
    expect(lines[3]).toBe('registries.yaml:10:7: error [unknown-key] unknown key "keepLast"; allowed: keepNewest, olderThan, keep');
  });

  it('an environment overlay moves the registry and keeps its policy', () => {
    const text = yaml`
      version: 1
      registries:
        ci: { role: ci, url: http://127.0.0.1:5102, retention: { keepNewest: 3 } }
      environments:
        production:
          registries:
            ci: { url: https://ci.example.com }
    `;
    const config = requireValidTopology(parseTopology(text, 'registries.yaml', { environ: {}, env: 'production' }));
    expect(config.registries.ci!.url).toBe('https://ci.example.com');
    expect(config.registries.ci!.retention).toEqual({ keepNewest: 3, keep: [] });
  });

  it('parses durations in every unit and nothing else', () => {
    expect(parseDuration('45s')).toBe(45_000);
    expect(parseDuration('90m')).toBe(5_400_000);
    expect(parseDuration('12h')).toBe(43_200_000);
    expect(parseDuration('30d')).toBe(2_592_000_000);
    expect(parseDuration('2w')).toBe(1_209_600_000);
    for (const bad of ['', '30', 'd', '0d', '1.5d', '30D', '-1d', ' 30d']) expect(parseDuration(bad)).toBeUndefined();
  });
});
