import { createStore, type StoreApi } from 'zustand';
import type { CallInput, CallOutput } from '../../../shared/contract';
import type { Connection } from '../transport/connect';
import { failureOf } from './failure';
import type { Outcome } from './files-store';

export type VmExport = CallOutput<'vm.export'>;
export type VmImport = CallOutput<'vm.import'>;

export interface ExportStoreState {
  exportVm(request: CallInput<'vm.export'>): Promise<Outcome<VmExport>>;
  /** What an import would create, with its report; creates nothing. */
  previewImport(request: CallInput<'vm.import'>): Promise<Outcome<VmImport>>;
  /** Create the VM an import showed, as it is. */
  createImported(spec: VmImport['spec']): Promise<Outcome<CallOutput<'vm.create'>>>;
}

/** Export and import (issue 13): each call's answer or its failure, for the dialog to show. */
export function createExportStore(connection: Connection): StoreApi<ExportStoreState> {
  const outcome = async <T>(call: () => Promise<T>): Promise<Outcome<T>> => {
    try {
      return { ok: true, value: await call() };
    } catch (error) {
      return { ok: false, failure: failureOf(error) };
    }
  };
  return createStore<ExportStoreState>()(() => ({
    exportVm: (request) => outcome(() => connection.call('vm.export', request)),
    previewImport: (request) => outcome(() => connection.call('vm.import', request)),
    createImported: (spec) => outcome(() => connection.call('vm.create', spec)),
  }));
}
