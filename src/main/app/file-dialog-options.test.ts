import { describe, expect, it } from 'vitest';
import { ChooseFileRequest } from '../../shared/desktop-bridge';
import { fileDialogOptions } from './file-dialog-options';

describe('fileDialogOptions', () => {
  it('opens an existing file for every field and saves only for a new disk', () => {
    for (const purpose of ChooseFileRequest.shape.purpose.options) {
      const options = fileDialogOptions(purpose);
      expect(options.kind).toBe(purpose === 'new-disk' ? 'save' : 'open');
      expect(options.filters.length).toBeGreaterThan(0);
    }
  });

  it('refuses requests outside the fixed list before any dialog opens', () => {
    expect(ChooseFileRequest.safeParse({ purpose: 'anything' }).success).toBe(false);
    expect(ChooseFileRequest.safeParse({ purpose: 'disk', defaultPath: '/etc' }).success).toBe(false);
  });
});
