import { describe, expect, it } from 'vitest';
import { fromLineStart, keepTail, Scrollback } from './scrollback';

const text = (b: Buffer) => b.toString('utf8');

describe('keepTail', () => {
  it('keeps short output whole', () => {
    expect(text(keepTail(Buffer.from('boot\nlogin: '), 100))).toBe('boot\nlogin: ');
  });

  it('cuts long output to start at a line', () => {
    expect(text(keepTail(Buffer.from('first line\nsecond\nthird'), 15))).toBe('second\nthird');
  });

  it('cuts mid-line when no line break is near', () => {
    const long = Buffer.from('x'.repeat(10_000));
    expect(keepTail(long, 5000).length).toBe(5000);
  });
});

describe('fromLineStart', () => {
  it('skips the broken first line, and nothing when there is no line break', () => {
    expect(text(fromLineStart(Buffer.from('ne\nwhole line\n')))).toBe('whole line\n');
    expect(text(fromLineStart(Buffer.from('no break')))).toBe('no break');
  });
});

describe('Scrollback', () => {
  it('keeps everything below its limit', () => {
    const s = new Scrollback(100);
    s.push(Buffer.from('a\n'));
    s.push(Buffer.alloc(0));
    s.push(Buffer.from('b\n'));
    expect(text(s.contents())).toBe('a\nb\n');
    expect(s.byteLength).toBe(4);
  });

  it('drops the oldest output, never holding more than its limit', () => {
    const s = new Scrollback(20);
    for (let i = 0; i < 50; i++) {
      s.push(Buffer.from(`line ${i}\n`));
      expect(s.byteLength).toBeLessThanOrEqual(20);
      expect(s.byteLength).toBe(s.contents().length);
    }
    expect(text(s.contents())).toBe('line 48\nline 49\n');
  });

  it('cuts one chunk larger than the limit to its end', () => {
    const s = new Scrollback(10);
    s.push(Buffer.from('0123456789abcdefghij'));
    expect(text(s.contents())).toBe('abcdefghij');
  });

  it('forgets everything on clear', () => {
    const s = new Scrollback(10);
    s.push(Buffer.from('old run'));
    s.clear();
    expect(s.byteLength).toBe(0);
    expect(s.contents().length).toBe(0);
  });
});
