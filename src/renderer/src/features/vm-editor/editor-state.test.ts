import { describe, expect, it } from 'vitest';
import {
  editorReducer,
  initialEditorState,
  shownError,
  shownErrorCount,
  type EditorEvent,
} from './editor-state';
import { emptyForm } from './form-model';

const run = (...events: EditorEvent[]) => events.reduce(editorReducer, initialEditorState(emptyForm()));

describe('the editor form state machine', () => {
  it('shows a field’s own error only once the field was left or a save tried', () => {
    const client = { name: 'a VM needs a name', cpus: 'at most 64 vCPUs' };
    const fresh = run();
    expect(shownError(fresh, client, 'name')).toBeUndefined();
    expect(shownErrorCount(fresh, client)).toBe(0);

    const left = run({ type: 'leave', field: 'name' });
    expect(shownError(left, client, 'name')).toBe('a VM needs a name');
    expect(shownError(left, client, 'cpus')).toBeUndefined();
    expect(shownErrorCount(left, client)).toBe(0);

    const tried = run({ type: 'submit', valid: false });
    expect(shownError(tried, client, 'cpus')).toBe('at most 64 vCPUs');
    expect(shownErrorCount(tried, client)).toBe(2);
  });

  it('asks for the focus on a refused save, but saves a valid form without it', () => {
    const invalid = run({ type: 'submit', valid: false });
    expect(invalid).toMatchObject({ submitted: true, saving: false, focusRequests: 1 });
    const valid = run({ type: 'submit', valid: true });
    expect(valid).toMatchObject({ submitted: true, saving: true, focusRequests: 0 });
    expect(editorReducer(valid, { type: 'saved' }).saving).toBe(false);
  });

  it('puts the backend’s errors at their fields, or above the form when none is on screen', () => {
    const errors = { 'kernel.path': 'kernel /k does not exist' };
    const atField = run(
      { type: 'submit', valid: true },
      { type: 'refused', errors, message: 'kernel /k does not exist', placed: true },
    );
    expect(atField).toMatchObject({ saving: false, formError: null, focusRequests: 1 });
    expect(shownError(atField, {}, 'kernel.path')).toBe('kernel /k does not exist');

    const above = run(
      { type: 'submit', valid: true },
      { type: 'refused', errors: {}, message: 'the backend went away', placed: false },
    );
    expect(above).toMatchObject({ formError: 'the backend went away', focusRequests: 0 });
  });

  it('drops what the backend said once the values it judged change', () => {
    const refused = run(
      { type: 'submit', valid: true },
      { type: 'refused', errors: { name: 'taken' }, message: 'taken', placed: false },
    );
    const changed = editorReducer(refused, { type: 'change', patch: { name: 'other' } });
    expect(changed.form.name).toBe('other');
    expect(changed.serverErrors).toEqual({});
    expect(changed.formError).toBeNull();
  });

  it('keeps the same state when a field is left again', () => {
    const once = run({ type: 'leave', field: 'name' });
    expect(editorReducer(once, { type: 'leave', field: 'name' })).toBe(once);
  });
});
