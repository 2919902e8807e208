/**
 * The editor's form as a state machine: what the user typed, which fields they have left, whether
 * they tried to save, what the backend said, and when the first field in error takes the focus.
 * Pure, so every transition has a unit test; VmEditor.tsx runs it with useReducer.
 */
import type { FieldErrors, VmForm } from './form-model';

export interface EditorState {
  form: VmForm;
  /** Fields the user has left once: their own errors show from then on, before any save. */
  touched: ReadonlySet<string>;
  /** A save was tried: every field's errors show. */
  submitted: boolean;
  /** What the backend said about the values it was sent, by field. */
  serverErrors: FieldErrors;
  /** What it said that belongs to no field on screen, shown above the form. */
  formError: string | null;
  saving: boolean;
  /** Counts requests to focus the first field in error; the view focuses it once they are on screen. */
  focusRequests: number;
}

export type EditorEvent =
  | { type: 'change'; patch: Partial<VmForm> }
  | { type: 'leave'; field: string }
  | { type: 'submit'; valid: boolean }
  | { type: 'saved' }
  /** `placed`: some of `errors` has a field on screen to stand under. */
  | { type: 'refused'; errors: FieldErrors; message: string; placed: boolean };

export function initialEditorState(form: VmForm): EditorState {
  return {
    form,
    touched: new Set(),
    submitted: false,
    serverErrors: {},
    formError: null,
    saving: false,
    focusRequests: 0,
  };
}

export function editorReducer(state: EditorState, event: EditorEvent): EditorState {
  switch (event.type) {
    case 'change':
      // The server judged the old values: what it said goes with them.
      return { ...state, form: { ...state.form, ...event.patch }, serverErrors: {}, formError: null };
    case 'leave':
      return state.touched.has(event.field)
        ? state
        : { ...state, touched: new Set(state.touched).add(event.field) };
    case 'submit':
      return event.valid
        ? { ...state, submitted: true, saving: true }
        : { ...state, submitted: true, focusRequests: state.focusRequests + 1 };
    case 'saved':
      return { ...state, saving: false };
    case 'refused':
      return {
        ...state,
        saving: false,
        serverErrors: event.errors,
        formError: event.placed ? null : event.message,
        focusRequests: state.focusRequests + (event.placed ? 1 : 0),
      };
  }
}

/** The error shown at a field: the form's own once the field was left or a save tried, else the backend's. */
export function shownError(state: EditorState, clientErrors: FieldErrors, key: string): string | undefined {
  return (
    (state.submitted || state.touched.has(key) ? clientErrors[key] : undefined) ?? state.serverErrors[key]
  );
}

/** How many fields the banner above the form counts: the form's own errors, once a save was tried. */
export function shownErrorCount(state: EditorState, clientErrors: FieldErrors): number {
  return state.submitted ? Object.keys(clientErrors).length : 0;
}
