// The usb domain as other domains and the composition root see it (docs/layering.md).
export { createUsbService, type UsbGrant } from './usb-service';
export type { UsbDeviceFacts } from './usb-devices';
