import type { ChooseFileRequest } from '../../shared/desktop-bridge';

type Purpose = ChooseFileRequest['purpose'];

export interface FileDialogOptions {
  kind: 'open' | 'save';
  title: string;
  filters: { name: string; extensions: string[] }[];
}

const ALL_FILES = { name: 'All files', extensions: ['*'] };

/** What each file field of the VM editor asks the native dialog for. */
export function fileDialogOptions(purpose: Purpose): FileDialogOptions {
  switch (purpose) {
    case 'disk':
      return {
        kind: 'open',
        title: 'Choose a disk image',
        filters: [{ name: 'Disk images', extensions: ['qcow2', 'img', 'raw'] }, ALL_FILES],
      };
    case 'cdrom':
      return {
        kind: 'open',
        title: 'Choose a CD-ROM image',
        filters: [{ name: 'ISO images', extensions: ['iso'] }, ALL_FILES],
      };
    case 'kernel':
      return { kind: 'open', title: 'Choose a Linux kernel', filters: [ALL_FILES] };
    case 'initrd':
      return { kind: 'open', title: 'Choose an initial ramdisk', filters: [ALL_FILES] };
    case 'new-disk':
      return {
        kind: 'save',
        title: 'Where to create the new disk',
        filters: [
          { name: 'qcow2 images', extensions: ['qcow2'] },
          { name: 'Raw images', extensions: ['img', 'raw'] },
        ],
      };
  }
}
