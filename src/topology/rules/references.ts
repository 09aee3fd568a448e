/**
 * Names that must resolve: every registry a flow, replica link, backup or environment mentions, and
 * every upstream a mirror rule reads from. Overlays are checked for all environments, not only the
 * one chosen, so a typo in `production` is caught while testing with `test`.
 */
import { didYouMean } from '../suggest.js';
import type { RuleFinding, RuleInput, TopologyRule } from './rule.js';

export const unknownRegistryReference: TopologyRule = {
  name: 'unknown-registry-reference',
  severity: 'error',
  description: 'promotion, mirrors, replicas, backup and environments may only name registries that exist',
  check({ config, file }) {
    const known = Object.keys(config.registries);
    const findings: RuleFinding[] = [];
    const expect = (name: string, path: (string | number)[], at?: 'key') => {
      if (!(name in config.registries)) findings.push({ path, message: unknownName('registry', name, known), at });
    };
    for (const [name, entry] of Object.entries(file.registries)) {
      (entry.replicas ?? []).forEach((replica, i) => expect(replica, ['registries', name, 'replicas', i]));
      if (entry.replicaOf !== undefined) expect(entry.replicaOf, ['registries', name, 'replicaOf']);
      const target = entry.backup?.target;
      if (target !== undefined && !target.startsWith('oci:')) expect(target, ['registries', name, 'backup', 'target']);
    }
    config.promotion.images.forEach((image, i) => expect(image.source, ['promotion', 'images', i, 'source']));
    config.promotion.stages.forEach((stage, i) => {
      expect(stage.from, ['promotion', 'stages', i, 'from']);
      expect(stage.to, ['promotion', 'stages', i, 'to']);
    });
    config.mirrors.rules.forEach((rule, i) => expect(rule.target, ['mirrors', 'rules', i, 'target']));
    for (const [env, overlay] of Object.entries(config.environments)) {
      for (const name of Object.keys(overlay.registries ?? {})) expect(name, ['environments', env, 'registries', name], 'key');
    }
    return findings;
  },
};

export const unknownUpstream: TopologyRule = {
  name: 'unknown-upstream',
  severity: 'error',
  description: 'mirror rules and environments may only name declared upstreams (dockerhub is predefined)',
  check({ config, file }: RuleInput) {
    const known = Object.keys(config.upstreams);
    const findings: RuleFinding[] = [];
    config.mirrors.rules.forEach((rule, i) => {
      // A defaulted upstream is dockerhub, which always exists; only a written one can be wrong.
      if (!(rule.upstream in config.upstreams)) findings.push({ path: ['mirrors', 'rules', i, 'upstream'], message: unknownName('upstream', rule.upstream, known) });
    });
    for (const [env, overlay] of Object.entries(file.environments ?? {})) {
      for (const name of Object.keys(overlay.upstreams ?? {})) {
        if (!(name in config.upstreams)) findings.push({ path: ['environments', env, 'upstreams', name], message: unknownName('upstream', name, known), at: 'key' });
      }
    }
    return findings;
  },
};

function unknownName(kind: string, name: string, known: string[]): string {
  const list = known.length > 0 ? `; known: ${known.join(', ')}` : '';
  return `unknown ${kind} "${name}"${didYouMean(name, known, list)}`;
}
