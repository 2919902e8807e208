/**
 * `refresh` for a burst of events: one read at a time, and one more after it when events came in
 * meanwhile, so the last read always starts after the last event (four VMs starting at once read
 * the inventory twice, not four times, and never end on a read older than the last change).
 */
export function coalesced(refresh: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  const run = async (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await refresh();
      } while (again);
    })();
    try {
      await running;
    } finally {
      running = null;
    }
  };
  return run;
}
