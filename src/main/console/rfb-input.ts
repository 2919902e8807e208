/**
 * Finds keyboard and mouse input in what a VNC viewer sends (RFC 6143): after the handshake
 * (ProtocolVersion, 12 bytes; the security type, 1 byte; ClientInit, 1 byte: QEMU's unix socket
 * has no authentication) come client messages, of which KeyEvent (type 4, 8 bytes) and
 * PointerEvent (type 5, 6 bytes) are input. A viewer also asks for frames all the time
 * (FramebufferUpdateRequest), which is not a person at the keyboard.
 *
 * A message it does not know ends the parsing, and from then on every write counts as input:
 * an idle reset waits rather than reset a VM someone may be using.
 */
export class RfbInputScanner {
  private handshakeLeft = 12 + 1 + 1;
  private buffer: Buffer = Buffer.alloc(0);
  private lost = false;

  /** Whether `chunk` (the next bytes the viewer sent) holds keyboard or mouse input. */
  scan(chunk: Buffer): boolean {
    if (this.lost) return true;
    let data = chunk;
    if (this.handshakeLeft > 0) {
      const skip = Math.min(this.handshakeLeft, data.length);
      this.handshakeLeft -= skip;
      data = data.subarray(skip);
    }
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    let input = false;
    for (;;) {
      const length = this.messageLength();
      if (length === undefined) break;
      if (length < 0) {
        this.lost = true;
        return true;
      }
      const type = this.buffer[0];
      if (type === 4 || type === 5) input = true;
      this.buffer = this.buffer.subarray(length);
    }
    return input;
  }

  /** Length of the message at the front; undefined when incomplete, -1 when unknown. */
  private messageLength(): number | undefined {
    const b = this.buffer;
    if (b.length === 0) return undefined;
    const need = (n: number) => (b.length >= n ? n : undefined);
    switch (b[0]) {
      case 0: // SetPixelFormat
        return need(20);
      case 2: // SetEncodings: 4 bytes, then 4 per encoding
        return b.length < 4 ? undefined : need(4 + 4 * b.readUInt16BE(2));
      case 3: // FramebufferUpdateRequest
        return need(10);
      case 4: // KeyEvent
        return need(8);
      case 5: // PointerEvent
        return need(6);
      case 6: // ClientCutText: 8 bytes, then the text
        return b.length < 8 ? undefined : need(8 + b.readUInt32BE(4));
      default:
        return -1;
    }
  }
}
