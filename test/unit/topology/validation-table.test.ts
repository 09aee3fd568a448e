import { describe, expect, it } from 'vitest';
import { parseTopology } from '../../../src/topology/index.js';
import { report, yaml } from './yaml-text.js';

const VALID: { name: string; text: string }[] = [
  {
    name: 'the smallest topology',
    text: yaml`
      version: 1
      registries:
        sandbox: { role: sandbox, url: http://127.0.0.1:5101 }
    `,
  },
  {
    name: 'replicas linked from the replica side only',
    text: yaml`
      version: 1
      registries:
        prod: { role: prod, url: https://registry.example.com }
        eu: { role: replica, url: https://eu.example.com, replicaOf: prod }
    `,
  },
  {
    name: 'one endpoint, distinct namespaces, different roles',
    text: yaml`
      version: 1
      registries:
        sandbox: { role: sandbox, url: http://127.0.0.1:5000, namespace: sandbox }
        ci: { role: ci, url: http://127.0.0.1:5000, namespace: ci/builds }
    `,
  },
  {
    name: 'every credential source, by reference',
    text: yaml`
      version: 1
      registries:
        a: { role: ci, url: https://a.example.com, credentials: { env: { username: A_USER, password: A_PASS } } }
        b: { role: ci, url: https://b.example.com, credentials: { helper: ecr-login } }
        c: { role: ci, url: https://c.example.com, credentials: { dockerConfig: true } }
    `,
  },
];

const INVALID: { name: string; text: string; expected: string[] }[] = [
  {
    name: 'a webhook header value that is neither a variable name nor a ${VAR} template',
    text: yaml`
      version: 1
      registries:
        ci: { role: ci, url: http://127.0.0.1:5102 }
        prod: { role: prod, url: http://127.0.0.1:5104 }
      promotion:
        images: [{ name: app, repository: app, source: ci }]
        stages:
          - name: prod
            from: ci
            to: prod
            tags: [tested]
            approval: { type: webhook, url: https://hooks.example.com, headers: { Authorization: 'Bearer $TOKEN' } }
    `,
    expected: [
      'registries.yaml:12:92: error [schema] a header value is an environment variable name (HOOK_TOKEN) or text with ${VAR} references (Bearer ${HOOK_TOKEN})',
    ],
  },
  {
    name: 'YAML syntax error with its position',
    text: 'version: 1\nregistries: [a, b\nmirrors: {}\n',
    expected: ['registries.yaml:3:1: error [yaml-syntax] flow sequence in block collection must be sufficiently indented and end with a ]'],
  },
  {
    name: 'duplicate keys',
    text: 'version: 1\nversion: 1\nregistries: {}\n',
    expected: ['registries.yaml:2:1: error [yaml-syntax] map keys must be unique'],
  },
  {
    name: 'an empty file',
    text: '',
    expected: ['registries.yaml:1:1: error [schema] the file is empty: expected a mapping starting with "version: 1"'],
  },
  {
    name: 'version missing',
    text: 'registries: {}\n',
    expected: ['registries.yaml:1:1: error [schema] missing required key "version"'],
  },
  {
    name: 'a version this regtopo does not read',
    text: 'version: 2\nregistries: {}\n',
    expected: ['registries.yaml:1:10: error [schema] unsupported version 2: this regtopo reads version 1'],
  },
  {
    name: 'unknown top-level key, with a suggestion',
    text: 'version: 1\nregistries: {}\nmirror: {}\n',
    expected: ['registries.yaml:3:1: error [unknown-key] unknown key "mirror" (did you mean "mirrors"?)'],
  },
  {
    name: 'unknown key without a close match lists the allowed ones',
    text: 'version: 1\nregistries: {}\nfoo: 1\n',
    expected: ['registries.yaml:3:1: error [unknown-key] unknown key "foo"; allowed: version, registries, upstreams, environments, keys, promotion, mirrors'],
  },
  {
    name: 'registry typos: key and role',
    text: yaml`
      version: 1
      registries:
        prod:
          role: prd
          url: http://127.0.0.1:5104
          replica: [eu]
    `,
    expected: [
      'registries.yaml:4:11: error [schema] expected one of sandbox, ci, prod, replica, archive, got "prd" (did you mean "prod"?)',
      'registries.yaml:6:5: error [unknown-key] unknown key "replica" (did you mean "replicas"?)',
    ],
  },
  {
    name: 'missing url points at the registry',
    text: yaml`
      version: 1
      registries:
        sandbox:
          role: sandbox
    `,
    expected: ['registries.yaml:3:3: error [schema] missing required key "url"'],
  },
  {
    name: 'url with a path, another scheme, or no scheme',
    text: yaml`
      version: 1
      registries:
        a: { role: ci, url: http://127.0.0.1:5000/v2 }
        b: { role: ci, url: ftp://127.0.0.1 }
        c: { role: ci, url: 127.0.0.1:5000 }
    `,
    expected: [
      'registries.yaml:3:23: error [schema] url "http://127.0.0.1:5000/v2" must be scheme://host[:port] with no path; put a path prefix in "namespace"',
      'registries.yaml:4:23: error [schema] url scheme "ftp" is not supported; use http:// or https://',
      'registries.yaml:5:23: error [schema] url "127.0.0.1:5000" must start with http:// or https://',
    ],
  },
  {
    name: 'registry names are restricted',
    text: yaml`
      version: 1
      registries:
        Prod_EU: { role: prod, url: https://eu.example.com }
    `,
    expected: ['registries.yaml:3:3: error [schema] invalid name "Prod_EU": names use lowercase letters, digits and "-" (not at either end)'],
  },
  {
    name: 'inline password in credentials',
    text: yaml`
      version: 1
      registries:
        prod:
          role: prod
          url: https://registry.example.com
          credentials:
            helper: ecr-login
            password: hunter2
    `,
    expected: ['registries.yaml:8:7: error [inline-secret] inline secrets are not allowed; reference an env var, credential helper or docker config'],
  },
  {
    name: 'inline token in an environment overlay, and userinfo in a url',
    text: yaml`
      version: 1
      registries:
        prod: { role: prod, url: 'https://bot:s3cret@registry.example.com' }
      environments:
        test:
          registries:
            prod: { credentials: { token: abc } }
    `,
    expected: [
      'registries.yaml:3:28: error [inline-secret] inline secrets are not allowed; reference an env var, credential helper or docker config',
      'registries.yaml:7:30: error [inline-secret] inline secrets are not allowed; reference an env var, credential helper or docker config',
    ],
  },
  {
    name: 'credentials: a value where a variable name belongs, two sources, none',
    text: yaml`
      version: 1
      registries:
        a: { role: ci, url: https://a.example.com, credentials: { env: { username: bot, password: 'p@ss w0rd' } } }
        b: { role: ci, url: https://b.example.com, credentials: { helper: pass, dockerConfig: true } }
        c: { role: ci, url: https://c.example.com, credentials: {} }
    `,
    expected: [
      'registries.yaml:3:93: error [schema] must be the name of an environment variable (letters, digits and "_"), not a value',
      'registries.yaml:4:59: error [schema] credentials take one source, got helper and dockerConfig',
      'registries.yaml:5:59: error [schema] credentials need one of env, helper or dockerConfig',
    ],
  },
  {
    name: 'environment overlays change endpoints only',
    text: yaml`
      version: 1
      registries:
        prod: { role: prod, url: https://registry.example.com }
      environments:
        test:
          registries:
            prod: { url: http://127.0.0.1:5104, role: sandbox }
    `,
    expected: ['registries.yaml:7:43: error [unknown-key] unknown key "role"; allowed: url, credentials, ca, insecure'],
  },
  {
    name: 'promotion and mirror shapes',
    text: yaml`
      version: 1
      registries:
        ci: { role: ci, url: http://127.0.0.1:5102 }
        prod: { role: prod, url: http://127.0.0.1:5104 }
        archive: { role: archive, url: http://127.0.0.1:5107 }
      promotion:
        stages:
          - name: prod
            from: ci
            to: prod
            tags: []
            gates: [{ status: scan, equals: clean, in: [clean] }]
            approval: { type: manul }
      mirrors:
        rules:
          - name: nginx
            repository: library/nginx
            target: archive
            semver: '>=1.25 <<2'
            include: ['(']
            pins: { '1.27': sha256:abc }
    `,
    expected: [
      'registries.yaml:11:13: error [schema] must not be empty',
      'registries.yaml:12:15: error [schema] a gate needs exactly one of equals or in',
      'registries.yaml:13:25: error [schema] expected one of command, webhook, manual, got "manul" (did you mean "manual"?)',
      'registries.yaml:19:15: error [schema] invalid semver range',
      'registries.yaml:20:17: error [schema] invalid regular expression: Invalid regular expression: /(/: Unterminated group',
      'registries.yaml:21:23: error [schema] pins map a tag to a digest (sha256:<64 hex>)',
    ],
  },
];

/** Files that pass the schema and fail (or warn on) a named cross-field rule. */
const RULES: { name: string; text: string; expected: string[]; options?: { env?: string } }[] = [
  {
    name: 'unknown-registry-reference',
    text: yaml`
      version: 1
      registries:
        ci: { role: ci, url: http://127.0.0.1:5102 }
        prod: { role: prod, url: http://127.0.0.1:5104, replicas: [eu], backup: { target: vault } }
      environments:
        test:
          registries:
            sandbox: { url: http://127.0.0.1:5999 }
      promotion:
        images: [{ name: app, repository: app, source: ci }]
        stages: [{ name: prod, from: ci, to: prd, tags: [tested] }]
    `,
    expected: [
      'registries.yaml:4:62: error [unknown-registry-reference] unknown registry "eu"; known: ci, prod',
      'registries.yaml:4:85: error [unknown-registry-reference] unknown registry "vault"; known: ci, prod',
      'registries.yaml:8:7: error [unknown-registry-reference] unknown registry "sandbox"; known: ci, prod',
      'registries.yaml:11:40: error [unknown-registry-reference] unknown registry "prd" (did you mean "prod"?)',
    ],
  },
  {
    name: 'unknown-upstream',
    text: yaml`
      version: 1
      registries:
        archive: { role: archive, url: http://127.0.0.1:5107 }
      upstreams:
        quay: { url: https://quay.io }
      mirrors:
        rules:
          - { name: a, repository: library/alpine, target: archive }
          - { name: b, upstream: qauy, repository: coreos/etcd, target: archive }
    `,
    expected: ['registries.yaml:9:28: error [unknown-upstream] unknown upstream "qauy" (did you mean "quay"?)'],
  },
  {
    name: 'replica-of-non-prod, replicas-only-on-prod and replica-link',
    text: yaml`
      version: 1
      registries:
        ci: { role: ci, url: http://127.0.0.1:5102, replicas: [eu] }
        prod: { role: prod, url: http://127.0.0.1:5104, replicas: [ci] }
        eu: { role: replica, url: http://127.0.0.1:5105, replicaOf: ci }
        us: { role: replica, url: http://127.0.0.1:5106 }
    `,
    expected: [
      'registries.yaml:3:47: error [replicas-only-on-prod] "replicas" is only for prod registries; "ci" has role ci',
      'registries.yaml:4:62: error [replica-link] prod "prod" lists "ci" as a replica, but its role is ci',
      'registries.yaml:5:63: error [replica-of-non-prod] replica "eu" copies "ci", which has role ci; replicas copy a prod registry',
      'registries.yaml:6:3: error [replica-link] replica "us" belongs to no prod: set replicaOf or list it under a prod\'s replicas',
    ],
  },
  {
    name: 'duplicate-url-conflicting-roles, including through an environment',
    text: yaml`
      version: 1
      registries:
        sandbox: { role: sandbox, url: http://127.0.0.1:5101 }
        prod: { role: prod, url: http://localhost:5101 }
        archive: { role: archive, url: http://127.0.0.1:5107 }
      environments:
        test:
          registries:
            archive: { url: http://127.0.0.1:5101 }
    `,
    options: { env: 'test' },
    expected: ['registries.yaml:9:23: error [duplicate-url-conflicting-roles] "archive" (role archive) and "sandbox" (role sandbox) are the same registry (127.0.0.1:5101); give them distinct namespaces or the same role'],
  },
  {
    name: 'promotion-from-sandbox and promotion-into-non-writable',
    text: yaml`
      version: 1
      registries:
        sandbox: { role: sandbox, url: http://127.0.0.1:5101 }
        prod: { role: prod, url: http://127.0.0.1:5104 }
        eu: { role: replica, url: http://127.0.0.1:5105, replicaOf: prod }
      promotion:
        stages:
          - { name: shortcut, from: sandbox, to: prod, tags: [latest] }
          - { name: sideways, from: prod, to: eu, tags: [v1] }
    `,
    expected: [
      'registries.yaml:8:31: error [promotion-from-sandbox] stage "shortcut" promotes from sandbox "sandbox" into prod "prod"; prod never takes images from a sandbox',
      'registries.yaml:9:41: error [promotion-into-non-writable] stage "sideways" promotes into "eu" (role replica); promotion writes only into ci or prod registries',
    ],
  },
  {
    name: 'promotion-cycle',
    text: yaml`
      version: 1
      registries:
        a: { role: ci, url: http://127.0.0.1:5102 }
        b: { role: ci, url: http://127.0.0.1:5103 }
        prod: { role: prod, url: http://127.0.0.1:5104 }
      promotion:
        stages:
          - { name: forth, from: a, to: b, tags: [latest] }
          - { name: back, from: b, to: a, tags: [latest] }
          - { name: release, from: b, to: prod, tags: [latest] }
    `,
    expected: ['registries.yaml:8:35: error [promotion-cycle] promotion stages form a cycle: forth (a → b), back (b → a)'],
  },
  {
    name: 'mirror-target-not-archive',
    text: yaml`
      version: 1
      registries:
        sandbox: { role: sandbox, url: http://127.0.0.1:5101 }
      mirrors:
        rules: [{ name: alpine, repository: library/alpine, target: sandbox }]
    `,
    expected: ['registries.yaml:5:63: error [mirror-target-not-archive] mirror rule "alpine" writes into "sandbox" (role sandbox); mirrors write only into archive registries'],
  },
  {
    name: 'http-for-remote-host is a warning',
    text: yaml`
      version: 1
      registries:
        ci: { role: ci, url: http://ci.internal:5000 }
        local: { role: sandbox, url: 'http://[::1]:5000' }
    `,
    expected: ['registries.yaml:3:24: warning [http-for-remote-host] plain http to non-loopback host ci.internal:5000: credentials and content travel unencrypted'],
  },
];

describe('registries.yaml validation', () => {
  it.each(VALID)('accepts $name', ({ text }) => {
    const r = parseTopology(text, 'registries.yaml', { environ: {} });
    expect(r.errors).toEqual([]);
    expect(r.valid).toBe(true);
  });

  it.each(INVALID)('rejects $name', ({ text, expected }) => {
    expect(report(text)).toEqual(expected);
    expect(parseTopology(text, 'registries.yaml', { environ: {} }).valid).toBe(false);
  });

  it.each(RULES)('rule $name', ({ text, expected, options }) => {
    expect(report(text, options)).toEqual(expected);
  });

  it('keeps a file with only warnings valid', () => {
    const r = parseTopology('version: 1\nregistries:\n  ci: { role: ci, url: http://ci.internal }\n', 'registries.yaml', { environ: {} });
    expect(r.valid).toBe(true);
    expect(r.warnings.map((w) => w.rule)).toEqual(['http-for-remote-host']);
  });
});
