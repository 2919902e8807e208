/**
 * KubeVirt goldens (`__golden__/<scenario>.kubevirt.yaml`, one per disk source, and every VM in
 * one file with the cluster config), each document validated against KubeVirt's published
 * OpenAPI schema (kubevirt/kubevirt v1.9.0 api/openapi-spec/swagger.json, Apache-2.0, kept in
 * tests/data/kubevirt-v1.9.0) with Ajv. The schema is made strict first (no field it does not
 * define), so a misspelled field fails as `kubectl apply --validate=strict` would.
 */
import fs from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { GpuInventory } from '../../shared/gpu-inventory';
import type { KubevirtDiskSource } from '../../shared/vm-export';
import { readSimulatedHost, type SimulatedRun } from '../../../tests/support/simulated-host';
import { EXPORT_SCENARIOS } from './export-fixtures';
import { buildKubevirtManifests, kubevirtGpuFacts, type KubevirtVm } from './kubevirt-export';

const SWAGGER = new URL('../../../tests/data/kubevirt-v1.9.0/swagger.json', import.meta.url);

type Schema = Record<string, unknown>;
/** Every object schema with properties gets `additionalProperties: false`, recursively. */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema))
    out[k] =
      k === 'properties'
        ? Object.fromEntries(Object.entries(v as Schema).map(([p, s]) => [p, strict(s)]))
        : strict(v);
  if ('properties' in out && !('additionalProperties' in out)) out['additionalProperties'] = false;
  return out;
}

const swagger = JSON.parse(fs.readFileSync(SWAGGER, 'utf8')) as { definitions: Schema };
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema({ $id: 'kubevirt', definitions: strict(swagger.definitions) });
const validators: Record<string, ValidateFunction> = {
  VirtualMachine: ajv.getSchema('kubevirt#/definitions/v1.VirtualMachine') as ValidateFunction,
  KubeVirt: ajv.getSchema('kubevirt#/definitions/v1.KubeVirt') as ValidateFunction,
};

/** Each document's schema errors, empty when it validates. */
export function schemaErrors(yaml: string): string[] {
  return parseAllDocuments(yaml).flatMap((doc, i) => {
    const value = doc.toJS() as { kind?: string };
    const validate = validators[value.kind ?? ''];
    if (!validate) return [`document ${i}: kind ${value.kind} is not checked`];
    return validate(value)
      ? []
      : (validate.errors ?? []).map(
          (e) => `document ${i} ${e.instancePath}: ${e.message} ${JSON.stringify(e.params)}`,
        );
  });
}

const runs: SimulatedRun[] = ['adl-p', 'flex170', 'cml'].map((n) => readSimulatedHost(n));
afterAll(() => runs.forEach((r) => r.cleanup()));
const [adlp, flex, cml] = runs.map((r) => r.inventory) as [GpuInventory, GpuInventory, GpuInventory];
/** The ADL-P and the Flex 170 in one host; the GVT-g VM is looked up on the Comet Lake. */
const inventory: GpuInventory = { ...adlp, gpus: [...adlp.gpus, ...flex.gpus] };

const vmOf = (name: string): KubevirtVm => {
  const s = EXPORT_SCENARIOS.find((x) => x.name === name);
  if (!s) throw new Error(name);
  const facts = kubevirtGpuFacts(s.spec.gpu.kind === 'mdev' ? cml : inventory, s.spec, s.host.gpu);
  return { spec: s.spec, placement: s.host.gpu, ...facts };
};
const SOURCES: KubevirtDiskSource[] = ['pvc', 'datavolume', 'containerdisk'];

describe('KubeVirt export', () => {
  it.each(EXPORT_SCENARIOS.map((s, i) => [s.name, SOURCES[i % 3] ?? 'pvc'] as const))(
    '%s (%s)',
    async (name, diskSource) => {
      const out = buildKubevirtManifests([vmOf(name)], { diskSource, withClusterConfig: true });
      await expect(out.yaml).toMatchFileSnapshot(`./__golden__/${name}.kubevirt.yaml`);
      expect(schemaErrors(out.yaml)).toEqual([]);
    },
  );

  it('every VM in one multi-document file, the cluster config first', async () => {
    const out = buildKubevirtManifests(
      EXPORT_SCENARIOS.map((s) => vmOf(s.name)),
      { diskSource: 'pvc', withClusterConfig: true },
    );
    await expect(out.yaml).toMatchFileSnapshot('./__golden__/all.kubevirt.yaml');
    const docs = parseAllDocuments(out.yaml).map(
      (d) => d.toJS() as { kind: string; spec: { configuration?: { permittedHostDevices?: unknown } } },
    );
    expect(docs.map((d) => d.kind)).toEqual(['KubeVirt', ...EXPORT_SCENARIOS.map(() => 'VirtualMachine')]);
    expect(docs[0]?.spec.configuration?.permittedHostDevices).toEqual({
      pciHostDevices: [
        {
          pciVendorSelector: '8086:56c0',
          resourceName: 'intel.com/sriov-gpudevice',
          externalResourceProvider: false,
        },
        {
          pciVendorSelector: '8086:56c0',
          resourceName: 'intel.com/gpu-passthrough',
          externalResourceProvider: false,
        },
        {
          pciVendorSelector: '8086:46a6',
          resourceName: 'intel.com/sriov-gpudevice',
          externalResourceProvider: false,
        },
      ],
      mediatedDevices: [{ mdevNameSelector: 'GVTg_V5_4', resourceName: 'intel.com/i915-GVTg_V5_4' }],
    });
    expect(schemaErrors(out.yaml)).toEqual([]);
  });

  it('says a local window needs a patched virt-launcher, not that stock KubeVirt can', () => {
    const out = buildKubevirtManifests([vmOf('edge-kiosk-any-vf')], {
      diskSource: 'pvc',
      withClusterConfig: false,
    });
    expect(out.yaml).toMatch(
      /# - a window on a monitor of the node needs a virt-launcher with Intel’s patched QEMU/,
    );
  });

  it('the schema check fails on a field KubeVirt does not have, so it can fail', () => {
    const out = buildKubevirtManifests([vmOf('guide-flex-sriov')], {
      diskSource: 'pvc',
      withClusterConfig: false,
    });
    expect(
      schemaErrors(out.yaml.replace('autoattachGraphicsDevice', 'autoAttachGraphicsDevice')),
    ).not.toEqual([]);
    expect(schemaErrors(out.yaml.replace('cores: 8', 'cores: eight'))).not.toEqual([]);
  });
});
