import type { EventName } from '../../shared/contract';
import { VmInfo } from '../../shared/vm-spec';
import { z } from 'zod';
import type { Listener } from '../rpc/dispatcher';
import { openBackendLink, type BackendLink, type OpenLinkOptions } from './backend-link';

const MAX_RETRY_DELAY_MS = 5000;

/**
 * A link for long-lived fronts (the Electron app, `tessera serve`). When the process that owns
 * the backend goes away (the app quit while a browser was still served), this front runs the
 * election again: it connects to whoever won, or becomes the owner itself. Calls made meanwhile
 * wait for the new link; listeners stay subscribed and are given every VM's state afresh,
 * because events during the hand-over are lost.
 */
export async function openFailoverLink(options: OpenLinkOptions = {}): Promise<BackendLink> {
  let current = await openBackendLink(options);
  let closed = false;
  const listeners = new Set<Listener>();
  const forward: Listener = (name, payload) => {
    for (const l of listeners) l(name, payload);
  };
  let unsubscribe = current.events.subscribe(forward);
  let switching: Promise<void> | undefined;

  const takeOver = async () => {
    unsubscribe();
    for (let delay = 100; !closed; delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS)) {
      try {
        current = await openBackendLink(options);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    if (closed) return;
    unsubscribe = current.events.subscribe(forward);
    watch(current);
    const list = await current.dispatcher.dispatch('vm.list', {});
    const vms = list.ok ? z.object({ vms: z.array(VmInfo) }).safeParse(list.value) : undefined;
    if (vms?.success) for (const vm of vms.data.vms) forward('vm.changed' satisfies EventName, { vm });
  };
  const watch = (link: BackendLink) =>
    link.onLost?.(() => {
      if (closed) return;
      switching = takeOver().finally(() => (switching = undefined));
    });
  watch(current);

  return {
    get owner() {
      return current.owner;
    },
    dispatcher: {
      async dispatch(method, params) {
        if (switching) await switching;
        return current.dispatcher.dispatch(method, params);
      },
    },
    events: {
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    async openConsole(token) {
      if (switching) await switching;
      return current.openConsole(token);
    },
    async close() {
      closed = true;
      unsubscribe();
      await current.close();
    },
  };
}
