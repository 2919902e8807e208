import { describe, expect, it } from 'vitest';
import { firstLine, kstrtobool, kstrtou } from './kernel-parse';

const errno = (run: () => unknown) => {
  try {
    run();
    return 'ok';
  } catch (error) {
    return (error as { code: string }).code;
  }
};

describe('kstrtou (lib/kstrtox.c, base 0)', () => {
  it.each([
    ['7', 16, 7n],
    ['7\n', 16, 7n],
    ['+7', 16, 7n],
    ['0x1f', 16, 31n],
    ['0X1F', 16, 31n],
    ['017', 16, 15n],
    ['0', 8, 0n],
    ['18446744073709551615', 64, 18446744073709551615n],
  ])('%j as u%d is %s', (text, bits, value) => expect(kstrtou(text, bits)).toBe(value));

  it.each([
    ['', 16, 'EINVAL'],
    ['-1', 16, 'EINVAL'],
    ['7\n\n', 16, 'EINVAL'],
    [' 7', 16, 'EINVAL'],
    ['08', 16, 'EINVAL'],
    ['0x', 16, 'EINVAL'],
    ['1.5', 16, 'EINVAL'],
    ['65536', 16, 'ERANGE'],
    ['256', 8, 'ERANGE'],
    ['18446744073709551616', 64, 'ERANGE'],
  ])('%j as u%d is %s', (text, bits, code) => expect(errno(() => kstrtou(text, bits))).toBe(code));
});

describe('kstrtobool', () => {
  it.each([
    ['1', true],
    ['y', true],
    ['Yes', true],
    ['on', true],
    ['ON\n', true],
    ['0', false],
    ['n', false],
    ['off', false],
  ])('%j is %s', (text, value) => expect(kstrtobool(text)).toBe(value));

  it.each(['', 'o', '2', 'x'])('%j is EINVAL', (text) =>
    expect(errno(() => kstrtobool(text))).toBe('EINVAL'),
  );
});

it('firstLine keeps what sysfs string attributes store', () => {
  expect(firstLine('vfio-pci\nrest')).toBe('vfio-pci');
  expect(firstLine('\n')).toBe('');
});
