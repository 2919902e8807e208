import type { KeyboardEvent } from 'react';
import type { Gpu } from '../../../../shared/gpu-inventory';
import { useGpuStore } from '../../stores/context';
import { layoutGpu, type PictureNode } from './gpu-layout';

const LEGEND = [
  ['host', 'host driver (i915, xe)'],
  ['vfio', 'vfio-pci: ready for a VM'],
  ['unbound', 'no driver'],
  ['mdev', 'GVT-g vGPU'],
  ['vm', 'VM'],
] as const;

/** PF → VFs (or vGPUs) → VMs as boxes and links; every function box is a button that selects it. */
export function GpuPicture({ gpu }: { gpu: Gpu }) {
  const selected = useGpuStore((s) => s.selected);
  const select = useGpuStore((s) => s.select);
  const picture = layoutGpu(gpu);
  const pad = 4;
  const onKey = (node: PictureNode) => (event: KeyboardEvent) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      select(node.id);
    }
  };
  const anyVm = picture.nodes.some((n) => n.tone === 'vm');
  return (
    <figure className="gpu-picture">
      <svg
        viewBox={`${-pad} ${-pad} ${picture.width + 2 * pad} ${picture.height + 2 * pad}`}
        width={picture.width + 2 * pad}
        height={picture.height + 2 * pad}
        role="group"
        aria-label={`${gpu.name} and its functions`}
      >
        {picture.edges.map((e) => (
          <path key={`${e.from}->${e.to}`} d={e.path} className="gpu-edge" />
        ))}
        {picture.nodes.map((node) => (
          <g
            key={node.id}
            className={`gpu-node tone-${node.tone}${node.id === selected ? ' selected' : ''}`}
            transform={`translate(${node.x} ${node.y})`}
            data-testid={node.testId ?? undefined}
            {...(node.selectable
              ? {
                  role: 'button',
                  tabIndex: 0,
                  'aria-pressed': node.id === selected,
                  'aria-label': node.label,
                  onClick: () => select(node.id),
                  onKeyDown: onKey(node),
                }
              : { 'aria-label': node.label, role: 'img' })}
          >
            <rect width={picture.nodeWidth} height={picture.nodeHeight} rx={8} />
            {node.lines.map((line, i) => (
              <text key={i} x={12} y={22 + i * 18} className={i === 0 ? 'gpu-node-title' : 'gpu-node-line'}>
                {line}
              </text>
            ))}
          </g>
        ))}
        {!anyVm && (
          <text x={632} y={picture.height / 2} className="gpu-node-line gpu-no-vm" data-testid="gpu-no-vm">
            No VM uses a VF or vGPU yet
          </text>
        )}
      </svg>
      <figcaption className="gpu-legend">
        {LEGEND.map(([tone, text]) => (
          <span key={tone}>
            <span className={`swatch tone-${tone}`} aria-hidden="true" /> {text}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
