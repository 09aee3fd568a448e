/**
 * Examples for the `--help` of commands whose files do not carry their own yet. main.ts adds one
 * only to a command that has no after-help text, so a command file that gains its own Examples
 * section replaces the entry here without a duplicate.
 */
import type { Command } from 'commander';
import type { EventEmitter } from 'node:events';

const EXAMPLES: Record<string, string[]> = {
  tag: [
    'regtopo tag ci.example.com/app:1.4.2 stable 1.4',
    'regtopo tag ci.example.com/app@sha256:… latest',
  ],
  inspect: [
    'regtopo inspect ci.example.com/app:1.4.2',
    'regtopo inspect oci:./backup:latest --output json',
  ],
  demo: [
    'regtopo demo                    local registries, an image, every step',
    'regtopo demo --output json      the steps as JSON',
  ],
  validate: [
    'regtopo validate                ./registries.yaml',
    'regtopo validate -f topo.yaml --env staging',
  ],
  graph: [
    'regtopo graph > topology.mmd',
    'regtopo graph --format dot | dot -Tsvg > topology.svg',
  ],
  schema: ['regtopo schema > registries.schema.json'],
  check: [
    'regtopo check                   every registry of ./registries.yaml',
    'regtopo check --env test -v     an overlay, with each request logged',
  ],
  mirror: [
    'regtopo mirror --dry-run        say what would be copied or updated',
    'regtopo mirror --rule nginx --lock /run/regtopo-mirror.lock',
    'regtopo mirror --shard 1/3 --output json',
  ],
  status: [
    'regtopo status set ci.example.com/app:1.4.2 tests=passed',
    'regtopo status get ci.example.com/app@sha256:… --all',
  ],
  plan: [
    'regtopo plan --to prod',
    'regtopo plan app --to staging --version 1.4.2 --output json',
  ],
  promote: [
    'regtopo promote app --to staging',
    'regtopo promote --all --to prod --dry-run',
    'regtopo promote app --to prod --digest sha256:… --version 1.4.2',
  ],
  approve: ['regtopo approve app@sha256:… --stage prod --comment "release 1.4.2"'],
  reject: ['regtopo reject app@sha256:… --stage prod --comment "CVE-2026-1234"'],
  approvals: ['regtopo approvals', 'regtopo approvals app --pending --output json'],
  history: ['regtopo history app', 'regtopo history app --output json'],
  inventory: [
    'regtopo inventory',
    'regtopo inventory app --output json',
    'regtopo inventory --output html > inventory.html   one page, no network',
  ],
};

export function addMissingExamples(program: Command): void {
  for (const cmd of program.commands) {
    const lines = EXAMPLES[cmd.name()];
    if (!lines || (cmd as unknown as EventEmitter).listenerCount('afterHelp') > 0) continue;
    cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}`);
  }
}
