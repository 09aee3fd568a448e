import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { topologyJsonSchema } from '../../../src/topology/index.js';

const ROOT = join(import.meta.dirname, '../../..');

type Json = Record<string, any>;

describe('JSON Schema export', () => {
  const schema = topologyJsonSchema() as Json;

  it('is draft-07, strict, and requires version and registries', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.title).toBe('regtopo registries.yaml');
    expect(schema.required).toEqual(['version', 'registries']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.version).toEqual({ type: 'number', const: 1 });
  });

  it('describes registries: roles, url pattern, secrets forbidden', () => {
    const registry = schema.properties.registries.additionalProperties as Json;
    expect(registry.additionalProperties).toBe(false);
    expect(registry.required).toEqual(['role', 'url']);
    expect(registry.properties.role.enum).toEqual(['sandbox', 'ci', 'prod', 'replica', 'archive']);
    expect(registry.properties.url.pattern).toBe('^https?://[^/@]+/?$');
    const credentials = registry.properties.credentials as Json;
    // Editors flag a pasted password right away: the key is declared as never valid.
    for (const key of ['password', 'token', 'secret', 'auth']) expect(credentials.properties[key]).toEqual({ not: {} });
    expect(Object.keys(schema.properties)).toEqual(['version', 'registries', 'upstreams', 'environments', 'keys', 'promotion', 'mirrors']);
  });

  it('matches the committed registries.schema.json (regenerate: node bin/regtopo.js schema > registries.schema.json)', () => {
    const committed = readFileSync(join(ROOT, 'registries.schema.json'), 'utf8');
    expect(committed).toBe(`${JSON.stringify(schema, null, 2)}\n`);
  });

  it('the example topology points editors at it', () => {
    const example = readFileSync(join(ROOT, 'registries.yaml'), 'utf8');
    expect(example.split('\n')[0]).toBe('# yaml-language-server: $schema=./registries.schema.json');
  });
});
