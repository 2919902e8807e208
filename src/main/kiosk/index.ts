// The kiosk domain as the composition root sees it (docs/layering.md).
export { KioskService } from './kiosk-service';
export { kioskStartCommand } from './autostart';
