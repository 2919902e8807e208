import { afterEach, describe, expect, it, vi } from 'vitest';
import { DISTINCT_SCREENS_FOR_LIFE, noSignOfLifeWarning, SignOfLifeWatch } from './sign-of-life';

afterEach(() => {
  vi.useRealTimers();
});

function watch(serial: () => number, screens: (Buffer | null)[], afterMs = 5_000) {
  const warnings: (string | null)[] = [];
  let shot = 0;
  const w = new SignOfLifeWatch(
    {
      serialBytes: () => Promise.resolve(serial()),
      screen: () => Promise.resolve(screens[Math.min(shot++, screens.length - 1)] ?? null),
    },
    { afterMs, pollMs: 1_000, warning: 'silent', onWarning: (w) => warnings.push(w) },
  );
  w.start();
  return { w, warnings };
}

describe('SignOfLifeWatch', () => {
  it('warns a guest with no serial output and an unchanged screen after the deadline, and clears it when it speaks', async () => {
    vi.useFakeTimers();
    let bytes = 0;
    const { w, warnings } = watch(() => bytes, [Buffer.from('black')]);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(warnings).toEqual([]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(warnings).toEqual(['silent']);
    bytes = 12;
    await vi.advanceTimersByTimeAsync(6_000);
    expect(warnings).toEqual(['silent', null]);
    w.stop();
  });

  it('warns a guest whose screen only shows the firmware banner and a blinking cursor', async () => {
    vi.useFakeTimers();
    const banner = ['black', 'SeaBIOS', 'iPXE', 'Booting from ROM', 'Booting from ROM _'];
    const blinking = [...banner, ...Array.from({ length: 20 }, (_, i) => banner[3 + (i % 2)] ?? '')];
    const { w, warnings } = watch(
      () => 0,
      blinking.map((b) => Buffer.from(b)),
    );
    await vi.advanceTimersByTimeAsync(20_000);
    expect(warnings).toEqual(['silent']);
    w.stop();
  });

  it('says nothing for a guest that writes to its serial console, or whose screen keeps changing', async () => {
    vi.useFakeTimers();
    const serial = watch(() => 3, [null]);
    const frames = Array.from({ length: DISTINCT_SCREENS_FOR_LIFE }, (_, i) => Buffer.from(`frame ${i}`));
    const screen = watch(() => 0, frames, 30_000);
    await vi.advanceTimersByTimeAsync(40_000);
    expect(serial.warnings).toEqual([]);
    expect(screen.warnings).toEqual([]);
    serial.w.stop();
    screen.w.stop();
  });

  it('leaves no timer behind once stopped', async () => {
    vi.useFakeTimers();
    const { w, warnings } = watch(() => 0, [null]);
    await vi.advanceTimersByTimeAsync(1_500);
    w.stop();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(warnings).toEqual([]);
  });
});

describe('noSignOfLifeWarning', () => {
  it('names KVM first under KVM, with the CPU flags when they explain it', () => {
    expect(noSignOfLifeWarning(30_000, { accelerator: 'kvm', cpuWithoutVirtualization: true }, false)).toBe(
      'No sign of life from the guest after 30 s (no serial output, and it has no screen): KVM on this host cannot run guests: the CPU shows no vmx or svm flag (see tessera doctor); stop it and start it with TESSERA_ACCEL=tcg, or check that it has something to boot.',
    );
    expect(noSignOfLifeWarning(60_000, { accelerator: 'kvm' }, true)).toMatch(
      /^No sign of life from the guest after 60 s \(no serial output, no change on its screen\): KVM on this host may not run guests/,
    );
  });

  it('under TCG, points at the guest', () => {
    expect(noSignOfLifeWarning(60_000, { accelerator: 'tcg' }, false)).toMatch(/it may have nothing to boot/);
  });
});
