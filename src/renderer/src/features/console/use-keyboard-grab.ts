import { useEffect, useState, type RefObject } from 'react';

/** Shift+F12 gives the keyboard back, as in virt-viewer's default release-cursor hotkey. */
export function isReleaseHotkey(
  event: Pick<KeyboardEvent, 'key' | 'shiftKey' | 'ctrlKey' | 'altKey'>,
): boolean {
  return event.key === 'F12' && event.shiftKey && !event.ctrlKey && !event.altKey;
}

/**
 * Whether the guest has the keyboard: a console takes it when its screen has focus (a click, or the
 * Grab button). The release hotkey is caught on the way down, before the console client sees it.
 */
export function useKeyboardGrab(screen: RefObject<HTMLElement | null>, release: () => void): boolean {
  const [grabbed, setGrabbed] = useState(false);
  useEffect(() => {
    const element = screen.current;
    if (!element) return;
    const update = () => setGrabbed(element.contains(document.activeElement));
    const onKey = (event: KeyboardEvent) => {
      if (!isReleaseHotkey(event)) return;
      event.preventDefault();
      event.stopPropagation();
      release();
    };
    // Focus has not moved yet while focusout runs; look once it has.
    const onFocusOut = () => queueMicrotask(update);
    element.addEventListener('focusin', update);
    element.addEventListener('focusout', onFocusOut);
    element.addEventListener('keydown', onKey, true);
    return () => {
      element.removeEventListener('focusin', update);
      element.removeEventListener('focusout', onFocusOut);
      element.removeEventListener('keydown', onKey, true);
    };
  }, [screen, release]);
  return grabbed;
}
