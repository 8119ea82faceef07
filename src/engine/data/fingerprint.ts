/**
 * FNV-1a 64-bit, in pure 32-bit-safe arithmetic (four 16-bit limbs; no BigInt in the hot loop), so
 * Node and the browser can hash a dataset's bytes and compare the hex strings.
 *
 * Offset basis 0xcbf29ce484222325, prime 0x100000001b3 = 2⁴⁰ + 0x1b3.
 */
export class Fnv1a64 {
  // h = h3·2⁴⁸ + h2·2³² + h1·2¹⁶ + h0
  private h0 = 0x2325;
  private h1 = 0x8422;
  private h2 = 0x9ce4;
  private h3 = 0xcbf2;

  /** Hash bytes. */
  update(bytes: Uint8Array): this {
    let h0 = this.h0;
    let h1 = this.h1;
    let h2 = this.h2;
    let h3 = this.h3;
    for (let i = 0; i < bytes.length; i++) {
      h0 ^= bytes[i];
      // h · (2⁴⁰ + 0x1b3) mod 2⁶⁴: 2⁴⁰ = limb 2 shifted by 8 bits
      const t0 = h0 * 0x1b3;
      const t1 = h1 * 0x1b3 + (t0 >>> 16);
      const t2 = h2 * 0x1b3 + (h0 << 8) + (t1 >>> 16);
      const t3 = h3 * 0x1b3 + (h1 << 8) + (t2 >>> 16);
      h0 = t0 & 0xffff;
      h1 = t1 & 0xffff;
      h2 = t2 & 0xffff;
      h3 = t3 & 0xffff;
    }
    this.h0 = h0;
    this.h1 = h1;
    this.h2 = h2;
    this.h3 = h3;
    return this;
  }

  /** Hash 32-bit integers as 4 little-endian bytes each. */
  updateInt32(values: Int32Array | readonly number[]): this {
    const b = new Uint8Array(4 * values.length);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < values.length; i++) dv.setInt32(4 * i, values[i], true);
    return this.update(b);
  }

  /** Hash a string as UTF-8 followed by a 0 byte (so ['ab','c'] ≠ ['a','bc']). */
  updateString(s: string): this {
    this.update(new TextEncoder().encode(s));
    return this.update(new Uint8Array(1));
  }

  /** 16 lowercase hex digits. */
  hex(): string {
    return [this.h3, this.h2, this.h1, this.h0].map((x) => x.toString(16).padStart(4, '0')).join('');
  }
}

/** FNV-1a 64 of bytes, as 16 hex digits. */
export function fnv1a64(bytes: Uint8Array): string {
  return new Fnv1a64().update(bytes).hex();
}
