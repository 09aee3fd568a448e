/** Mirroring writes only into archive registries: that is what keeps upstream copies apart. */
import type { RuleFinding, TopologyRule } from './rule.js';

export const mirrorTargetNotArchive: TopologyRule = {
  name: 'mirror-target-not-archive',
  severity: 'error',
  description: 'mirror rules write only into archive registries',
  check({ config }) {
    const findings: RuleFinding[] = [];
    config.mirrors.rules.forEach((rule, i) => {
      const target = config.registries[rule.target];
      if (target && target.role !== 'archive') {
        findings.push({ path: ['mirrors', 'rules', i, 'target'], message: `mirror rule "${rule.name}" writes into "${target.name}" (role ${target.role}); mirrors write only into archive registries` });
      }
    });
    return findings;
  },
};
