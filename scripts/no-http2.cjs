// Stands in for node:http2 inside the CLI bundle (see bundle.mjs): the shape undici uses when Node
// has no http2, so an HTTP/2 connection is never attempted. regtopo never sets allowH2.
module.exports = { constants: {} };
