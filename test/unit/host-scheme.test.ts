import { describe, expect, it } from 'vitest';
import { resolveHostOptions } from '../../src/registry/registry-client.js';

describe('scheme and TLS settings per host (oras/regctl naming)', () => {
  it.each([
    ['registry.example.com', {}, undefined, 'https'],
    ['registry.example.com', { plainHttp: true }, undefined, 'http'],
    ['registry.example.com', {}, { plainHttp: true }, 'http'],
    ['registry.example.com', { insecure: true }, undefined, 'https'],
    ['127.0.0.1:5000', {}, undefined, 'http'],
    ['localhost:5000', {}, undefined, 'http'],
    ['[::1]:5000', {}, undefined, 'http'],
    // TLS settings say the loopback registry speaks https.
    ['127.0.0.1:5000', { insecure: true }, undefined, 'https'],
    ['127.0.0.1:5000', { caFile: '/ca.pem' }, undefined, 'https'],
    ['127.0.0.1:5000', {}, { caFile: '/ca.pem' }, 'https'],
    // A topology url's scheme wins over everything.
    ['127.0.0.1:5000', { scheme: 'https' }, undefined, 'https'],
    ['registry.example.com', { scheme: 'http' }, { insecure: true }, 'http'],
    ['registry.example.com', { scheme: 'https' }, { plainHttp: true }, 'https'],
  ] as const)('%s %j (defaults %j) → %s', (host, own, defaults, scheme) => {
    expect(resolveHostOptions(host, own, defaults).scheme).toBe(scheme);
  });

  it("keeps the defaults' settings where the host leaves them undefined", () => {
    expect(resolveHostOptions('r.example.com', { scheme: 'https', caFile: undefined, insecure: undefined }, { caFile: '/ca.pem', insecure: true })).toEqual({ scheme: 'https', caFile: '/ca.pem', insecure: true });
    expect(resolveHostOptions('r.example.com', { caFile: '/own.pem' }, { caFile: '/ca.pem' }).caFile).toBe('/own.pem');
  });
});
