// The CLI bundle's stand-in for the `undici` package root (scripts/bundle.mjs resolves `undici` here):
// exactly what regtopo imports from the root (Agent, buildConnector, Dispatcher with its request API), taken from
// undici's own modules, the way undici's index.js assembles them. The index would also load fetch,
// WebSocket, caches and mock agents at start-up. test/unit/undici-lean.test.ts fails when a new undici
// moves these files or when src/ imports a name this stand-in does not provide.
'use strict';
const Dispatcher = require('undici/lib/dispatcher/dispatcher.js');
const Agent = require('undici/lib/dispatcher/agent.js');
const request = require('undici/lib/api/api-request.js');
const buildConnector = require('undici/lib/core/connect.js');

if (typeof Dispatcher.prototype.request !== 'function') Dispatcher.prototype.request = request;

module.exports = { Agent, Dispatcher, buildConnector };
