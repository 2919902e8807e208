import { describe, expect, it } from 'vitest';
import { parseUsbSelector, selectorMatches, selectorsOverlap, UsbSelector } from './usb';

const scanner = { portPath: '3-1.2', vendorId: '0c2e', productId: '0b61', serial: '17293B0135' };

describe('USB selectors', () => {
  it('parses port paths and ids with and without a serial', () => {
    expect(parseUsbSelector('3-1.4.2')).toEqual({ kind: 'port', bus: 3, port: '1.4.2' });
    expect(parseUsbSelector('046d:c52b')).toEqual({
      kind: 'id',
      vendorId: '046d',
      productId: 'c52b',
      serial: null,
    });
    expect(parseUsbSelector('0c2e:0b61:A:B')).toEqual({
      kind: 'id',
      vendorId: '0c2e',
      productId: '0b61',
      serial: 'A:B',
    });
  });

  it.each([
    '3',
    '3-',
    '3-0',
    '0-1',
    'usb3',
    '3-1:1.0',
    '046D:C52B',
    '46d:c52b',
    '046d:c52b:',
    '046d:c52b:a b',
    '3-1.2.3.4.5.6.7',
  ])('refuses %s', (text) => {
    expect(UsbSelector.safeParse(text).success).toBe(false);
    expect(parseUsbSelector(text)).toBeNull();
  });

  it('matches a device by its port, its ids, or its ids and serial', () => {
    expect(selectorMatches('3-1.2', scanner)).toBe(true);
    expect(selectorMatches('3-1', scanner)).toBe(false);
    expect(selectorMatches('0c2e:0b61', scanner)).toBe(true);
    expect(selectorMatches('0c2e:0b61:17293B0135', scanner)).toBe(true);
    expect(selectorMatches('0c2e:0b61:17293b0135', scanner)).toBe(false);
  });

  it('sees two selectors overlap when they are the same or name one device plugged in now', () => {
    expect(selectorsOverlap('3-1.2', '3-1.2', [])).toBe(true);
    expect(selectorsOverlap('3-1.2', '0c2e:0b61', [])).toBe(false);
    expect(selectorsOverlap('3-1.2', '0c2e:0b61', [scanner])).toBe(true);
    expect(selectorsOverlap('3-1.1', '0c2e:0b61', [scanner])).toBe(false);
  });
});
