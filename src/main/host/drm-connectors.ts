import type { DrmConnector } from '../../shared/host-displays';
import { isBdf } from '../../shared/pci-address';
import type { HostReader } from '../fsutil/host-reader';

const CLASS_DRM = '/sys/class/drm';
const STATUSES = new Set<DrmConnector['status']>(['connected', 'disconnected', 'unknown']);

/** Every display connector of every card, from `/sys/class/drm/card<N>-<connector>/`. */
export function readDrmConnectors(reader: HostReader): DrmConnector[] {
  const connectors: DrmConnector[] = [];
  for (const entry of reader.list(CLASS_DRM)) {
    const match = /^(card\d+)-(.+)$/.exec(entry);
    if (!match) continue;
    const [, card = '', name = ''] = match;
    const dir = `${CLASS_DRM}/${entry}`;
    const status = reader.text(`${dir}/status`);
    const enabled = reader.text(`${dir}/enabled`);
    // The card's class link leads into its device: /sys/devices/…/0000:00:02.0/drm/card0.
    const cardPath = reader.resolve(`${CLASS_DRM}/${card}`)?.split('/') ?? [];
    const device = cardPath.at(-3) ?? null;
    connectors.push({
      card,
      name,
      status: STATUSES.has(status as DrmConnector['status']) ? (status as DrmConnector['status']) : 'unknown',
      enabled: enabled === 'enabled' ? true : enabled === 'disabled' ? false : null,
      modes: (reader.text(`${dir}/modes`) ?? '').split('\n').filter(Boolean),
      device: device !== null && isBdf(device) ? device : null,
    });
  }
  return connectors;
}
