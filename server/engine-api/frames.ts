// Incremental parser for the 8-byte multiplexed framing, for streams that arrive in arbitrary chunks.
export interface Frame {
  stream: number;
  payload: Buffer;
}

export class FrameParser {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    let i = 0;
    while (this.buf.length - i >= 8) {
      const len = this.buf.readUInt32BE(i + 4);
      if (this.buf.length - i - 8 < len) break;
      out.push({ stream: this.buf[i]!, payload: this.buf.subarray(i + 8, i + 8 + len) });
      i += 8 + len;
    }
    this.buf = this.buf.subarray(i);
    return out;
  }
}
