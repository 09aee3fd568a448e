/**
 * The SSH wire encoding (RFC 4251 §5) that public key blobs and SSHSIG signatures are made of:
 * uint32 big-endian lengths, `string` = length + bytes, `mpint` = a big-endian two's complement
 * integer in a string. Reads are bounds-checked; every malformed input is one SignatureFormatError.
 */

export class SignatureFormatError extends Error {
  override readonly name = 'SignatureFormatError';
}

export class WireReader {
  private offset = 0;
  constructor(private readonly buf: Buffer, private readonly what: string) {}

  get done(): boolean {
    return this.offset === this.buf.length;
  }

  bytes(n: number): Buffer {
    if (n < 0 || this.offset + n > this.buf.length) throw new SignatureFormatError(`${this.what}: truncated`);
    const out = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  uint32(): number {
    return this.bytes(4).readUInt32BE(0);
  }

  string(): Buffer {
    return this.bytes(this.uint32());
  }

  text(): string {
    return this.string().toString('utf8');
  }

  /** An mpint as unsigned big-endian bytes without leading zeros (the form JWK and P1363 want). */
  unsignedMpint(): Buffer {
    const raw = this.string();
    if (raw.length > 0 && (raw[0]! & 0x80) !== 0) throw new SignatureFormatError(`${this.what}: negative integer`);
    let i = 0;
    while (i < raw.length && raw[i] === 0) i++;
    return raw.subarray(i);
  }

  end(): void {
    if (!this.done) throw new SignatureFormatError(`${this.what}: ${this.buf.length - this.offset} unexpected trailing bytes`);
  }
}

export function wireString(value: Buffer | string): Buffer {
  const body = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length, 0);
  return Buffer.concat([len, body]);
}
