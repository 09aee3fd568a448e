import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTopology, parseTopology, renderGraph, requireValidTopology } from '../../../src/topology/index.js';
import { yaml } from './yaml-text.js';

const EXAMPLE = join(import.meta.dirname, '../../../registries.yaml');

const SMALL = parseTopology(
  yaml`
    version: 1
    registries:
      dev: { role: sandbox, url: http://127.0.0.1:5101 }
      ci: { role: ci, url: http://127.0.0.1:5102, namespace: builds }
      prod: { role: prod, url: https://registry.example.com, replicas: [eu], backup: { target: 'oci:/srv/backup "prod"' } }
      eu: { role: replica, url: https://eu.example.com }
      archive: { role: archive, url: https://archive.example.com }
    upstreams:
      quay: { url: https://quay.io }
    promotion:
      stages:
        - { name: release, from: ci, to: prod, tags: [tested, stable] }
    mirrors:
      rules:
        - { name: alpine, repository: library/alpine, target: archive }
        - { name: etcd, upstream: quay, repository: coreos/etcd, target: archive }
  `,
  'registries.yaml',
  { environ: {} },
);

describe('regtopo graph', () => {
  it('renders Mermaid', () => {
    expect(renderGraph(SMALL.config!, 'mermaid')).toMatchInlineSnapshot(`
      "flowchart LR
        subgraph users["Users"]
          user_dev(["Dev"])
          user_ci(["CI"])
          user_consumers(["Prod consumers"])
        end
        subgraph role_sandbox["Sandbox"]
          reg_dev[("dev<br/>http://127.0.0.1:5101")]
        end
        subgraph role_ci["CI"]
          reg_ci[("ci<br/>http://127.0.0.1:5102/builds")]
        end
        subgraph role_prod["Prod"]
          reg_prod[("prod<br/>https://registry.example.com")]
        end
        subgraph role_replica["Replicas"]
          reg_eu[("eu<br/>https://eu.example.com")]
        end
        subgraph role_archive["Archive"]
          reg_archive[("archive<br/>https://archive.example.com")]
        end
        subgraph upstreams["Upstreams"]
          up_dockerhub{{"dockerhub<br/>https://registry-1.docker.io"}}
          up_quay{{"quay<br/>https://quay.io"}}
        end
        subgraph backups["Backups"]
          backup_1[/"backup<br/>oci:/srv/backup #quot;prod#quot;"/]
        end
        user_dev -->|"push"| reg_dev
        user_ci -->|"push"| reg_ci
        reg_ci ==>|"promote tested,stable→release"| reg_prod
        reg_prod ==>|"replicate"| reg_eu
        up_dockerhub ==>|"mirror library/alpine"| reg_archive
        up_quay ==>|"mirror coreos/etcd"| reg_archive
        reg_prod ==>|"backup"| backup_1
        reg_dev -.->|"pull"| user_dev
        reg_ci -.->|"pull"| user_dev
        reg_ci -.->|"pull"| user_ci
        reg_prod -.->|"pull"| user_consumers
        reg_eu -.->|"pull"| user_consumers
        reg_archive -.->|"pull"| user_dev
        reg_archive -.->|"pull"| user_ci
      "
    `);
  });

  it('renders DOT', () => {
    expect(renderGraph(SMALL.config!, 'dot')).toMatchInlineSnapshot(`
      "digraph regtopo {
        rankdir=LR;
        node [fontname="Helvetica", fontsize=11];
        edge [fontname="Helvetica", fontsize=9];
        subgraph cluster_users {
          label="Users";
          user_dev [label="Dev", shape=ellipse];
          user_ci [label="CI", shape=ellipse];
          user_consumers [label="Prod consumers", shape=ellipse];
        }
        subgraph cluster_role_sandbox {
          label="Sandbox";
          reg_dev [label="dev\\nhttp://127.0.0.1:5101", shape=cylinder];
        }
        subgraph cluster_role_ci {
          label="CI";
          reg_ci [label="ci\\nhttp://127.0.0.1:5102/builds", shape=cylinder];
        }
        subgraph cluster_role_prod {
          label="Prod";
          reg_prod [label="prod\\nhttps://registry.example.com", shape=cylinder];
        }
        subgraph cluster_role_replica {
          label="Replicas";
          reg_eu [label="eu\\nhttps://eu.example.com", shape=cylinder];
        }
        subgraph cluster_role_archive {
          label="Archive";
          reg_archive [label="archive\\nhttps://archive.example.com", shape=cylinder];
        }
        subgraph cluster_upstreams {
          label="Upstreams";
          up_dockerhub [label="dockerhub\\nhttps://registry-1.docker.io", shape=hexagon];
          up_quay [label="quay\\nhttps://quay.io", shape=hexagon];
        }
        subgraph cluster_backups {
          label="Backups";
          backup_1 [label="backup\\noci:/srv/backup \\"prod\\"", shape=folder];
        }
        user_dev -> reg_dev [label="push"];
        user_ci -> reg_ci [label="push"];
        reg_ci -> reg_prod [label="promote tested,stable→release", penwidth=2];
        reg_prod -> reg_eu [label="replicate", penwidth=2];
        up_dockerhub -> reg_archive [label="mirror library/alpine", penwidth=2];
        up_quay -> reg_archive [label="mirror coreos/etcd", penwidth=2];
        reg_prod -> backup_1 [label="backup", penwidth=2];
        reg_dev -> user_dev [label="pull", style=dashed];
        reg_ci -> user_dev [label="pull", style=dashed];
        reg_ci -> user_ci [label="pull", style=dashed];
        reg_prod -> user_consumers [label="pull", style=dashed];
        reg_eu -> user_consumers [label="pull", style=dashed];
        reg_archive -> user_dev [label="pull", style=dashed];
        reg_archive -> user_ci [label="pull", style=dashed];
      }
      "
    `);
  });

  it('renders the example topology the same way every time', async () => {
    const config = requireValidTopology(await loadTopology({ path: EXAMPLE }, { env: 'test', environ: {} }));
    const mermaid = renderGraph(config, 'mermaid');
    const dot = renderGraph(config, 'dot');
    expect(renderGraph(config, 'mermaid')).toBe(mermaid);
    await expect(mermaid).toMatchFileSnapshot('__snapshots__/registries.test.mmd');
    await expect(dot).toMatchFileSnapshot('__snapshots__/registries.test.dot');
  });

  const hasDot = spawnSync('dot', ['-V']).status === 0;
  if (!hasDot) console.warn('graphviz `dot` not found: skipping the DOT render check (apt-get install graphviz)');

  it.skipIf(!hasDot)('DOT output renders with graphviz', async () => {
    const example = requireValidTopology(await loadTopology({ path: EXAMPLE }, { env: 'test', environ: {} }));
    for (const config of [SMALL.config!, example]) {
      const run = spawnSync('dot', ['-Tsvg'], { input: renderGraph(config, 'dot'), encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('<svg');
    }
  });
});
