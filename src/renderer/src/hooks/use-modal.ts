import { useEffect, useRef, type RefObject } from 'react';

/**
 * Show a native <dialog> as a modal while `open`: it traps focus, Esc closes it (the dialog's
 * close event then tells the owner), and focus goes back where it was. `onOpen` resets what the
 * dialog shows each time it opens.
 */
export function useModal(open: boolean, onOpen?: () => void): RefObject<HTMLDialogElement | null> {
  const ref = useRef<HTMLDialogElement>(null);
  const opened = useRef(onOpen);
  useEffect(() => {
    opened.current = onOpen;
  });
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      opened.current?.();
      dialog.showModal();
    }
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return ref;
}
