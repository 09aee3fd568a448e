/**
 * Promotion flows must respect roles: sandbox content never reaches prod directly, promotion writes
 * only where it is the sanctioned writer (ci, prod), and stages cannot loop.
 */
import type { PromotionStageSpec } from '../model.js';
import type { RuleFinding, TopologyRule } from './rule.js';

export const promotionFromSandbox: TopologyRule = {
  name: 'promotion-from-sandbox',
  severity: 'error',
  description: 'a sandbox is never a promotion source for prod',
  check({ config }) {
    const findings: RuleFinding[] = [];
    config.promotion.stages.forEach((stage, i) => {
      const from = config.registries[stage.from];
      const to = config.registries[stage.to];
      if (from?.role === 'sandbox' && to?.role === 'prod') {
        findings.push({ path: ['promotion', 'stages', i, 'from'], message: `stage "${stage.name}" promotes from sandbox "${from.name}" into prod "${to.name}"; prod never takes images from a sandbox` });
      }
    });
    return findings;
  },
};

export const promotionIntoNonWritable: TopologyRule = {
  name: 'promotion-into-non-writable',
  severity: 'error',
  description: 'promotion writes only into ci or prod registries',
  check({ config }) {
    const findings: RuleFinding[] = [];
    config.promotion.stages.forEach((stage, i) => {
      const to = config.registries[stage.to];
      if (to && to.role !== 'ci' && to.role !== 'prod') {
        findings.push({ path: ['promotion', 'stages', i, 'to'], message: `stage "${stage.name}" promotes into "${to.name}" (role ${to.role}); promotion writes only into ci or prod registries` });
      }
    });
    return findings;
  },
};

export const promotionCycle: TopologyRule = {
  name: 'promotion-cycle',
  severity: 'error',
  description: 'promotion stages form a path from builds to prod, never a loop',
  check({ config }) {
    const stages = config.promotion.stages;
    const reported = new Set<number>();
    const findings: RuleFinding[] = [];
    stages.forEach((stage, i) => {
      if (reported.has(i) || !reaches(stages, stage.to, stage.from)) return;
      // The loop is every stage on a path back to this one: both its ends reach each other.
      const loop = stages
        .map((s, j) => ({ s, j }))
        .filter(({ s }) => reaches(stages, stage.to, s.from) && reaches(stages, s.to, stage.from));
      loop.forEach(({ j }) => reported.add(j));
      const steps = loop.map(({ s }) => `${s.name} (${s.from} → ${s.to})`).join(', ');
      findings.push({ path: ['promotion', 'stages', i, 'to'], message: `promotion stages form a cycle: ${steps}` });
    });
    return findings;
  },
};

/** Whether `target` can be reached from `start` following stages (zero steps counts). */
function reaches(stages: PromotionStageSpec[], start: string, target: string): boolean {
  const seen = new Set<string>([start]);
  const queue = [start];
  while (queue.length > 0) {
    const current = queue.shift()!;
    if (current === target) return true;
    for (const s of stages) {
      if (s.from === current && !seen.has(s.to)) {
        seen.add(s.to);
        queue.push(s.to);
      }
    }
  }
  return false;
}
