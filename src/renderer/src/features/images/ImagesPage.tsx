import { useState } from 'react';
import { formatResetSchedule, type GoldenStatus, type ImageInfo } from '../../../../shared/images';
import type { VmInfo } from '../../../../shared/vm-spec';
import { canEdit } from '../../../../shared/vm-actions';
import { useBoothStore, useVmStore } from '../../stores/context';
import { GoldenLine } from './GoldenLine';
import { ResetGoldenButton } from './ResetGoldenButton';
import './images.css';

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

function ImageRow({ image }: { image: ImageInfo }) {
  const progress = useBoothStore((s) => s.progress[image.name]);
  const pending = useBoothStore((s) => s.pending[`image:${image.name}`]);
  const verify = useBoothStore((s) => s.verify);
  const deleteVersion = useBoothStore((s) => s.deleteVersion);
  return (
    <li className="image-row" data-testid={`image-row-${image.name}`}>
      <div className="image-head">
        <h3>{image.name}</h3>
        <span className="muted">current v{image.current}</span>
        <button
          type="button"
          className="button-secondary"
          data-testid={`image-${image.name}-verify`}
          disabled={pending !== undefined}
          onClick={() => void verify(image.name)}
          title="Hash every version again and compare with the SHA-256 registered"
        >
          {pending ? 'Working…' : 'Verify'}
        </button>
      </div>
      {progress && (
        <label className="image-progress">
          {progress.operation} {progress.percent.toFixed(0)}%
          <progress max={100} value={progress.percent} />
        </label>
      )}
      <table className="image-versions">
        <thead>
          <tr>
            <th>Version</th>
            <th>Size</th>
            <th>SHA-256</th>
            <th>Verified</th>
            <th>Used by</th>
            <th>
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {image.versions.map((v) => {
            const users = image.usedBy.filter((u) => u.version === v.version).map((u) => u.id);
            return (
              <tr key={v.version} data-testid={`image-${image.name}-v${v.version}`}>
                <td>
                  v{v.version}
                  {v.version === image.current ? ' (current)' : ''}
                </td>
                <td>{mib(v.sizeBytes)}</td>
                <td>
                  <code title={`${v.sha256}\n${v.path}`}>{v.sha256.slice(0, 16)}…</code>
                </td>
                <td>{new Date(v.verifiedAt).toLocaleString()}</td>
                <td>{users.length ? users.join(', ') : '—'}</td>
                <td>
                  <button
                    type="button"
                    className="button-ghost button-danger"
                    disabled={users.length > 0 || pending !== undefined}
                    title={
                      users.length > 0
                        ? 'In use: reset those VMs onto another version first'
                        : 'Delete this version and its file'
                    }
                    onClick={() => void deleteVersion(image.name, v.version)}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </li>
  );
}

function AddImage() {
  const add = useBoothStore((s) => s.addImage);
  const [path, setPath] = useState('');
  const [name, setName] = useState('');
  return (
    <form
      className="image-add"
      onSubmit={(e) => {
        e.preventDefault();
        void add(path.trim(), name.trim() || undefined).then((ok) => {
          if (ok) {
            setPath('');
            setName('');
          }
        });
      }}
    >
      <label>
        Disk image on this host
        <input
          value={path}
          onChange={(e) => setPath(e.target.value)}
          placeholder="/home/you/vms/kiosk.qcow2"
          data-testid="image-add-path"
          required
        />
      </label>
      <label>
        Name
        <input
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="from the file name"
          data-testid="image-add-name"
        />
      </label>
      <button type="submit" data-testid="image-add" disabled={path.trim() === ''}>
        Add golden image
      </button>
      <p className="muted">
        Copied into Tessera&apos;s images folder, read-only, with its SHA-256. Your file is only read.
      </p>
    </form>
  );
}

function BoundVm({ vm, status }: { vm: VmInfo; status: GoldenStatus }) {
  const setSchedule = useBoothStore((s) => s.setSchedule);
  const markReady = useBoothStore((s) => s.markReady);
  const promote = useBoothStore((s) => s.promote);
  const goldenOff = useBoothStore((s) => s.goldenOff);
  const pending = useBoothStore((s) => s.pending[vm.id]);
  const [schedule, setText] = useState(formatResetSchedule(status.schedule));
  const stopped = canEdit(vm.state);
  return (
    <>
      <GoldenLine id={vm.id} />
      <p className="muted" data-testid={`booth-${vm.id}-warm`}>
        {status.warm.blocker
          ? `Cold resets only: ${status.warm.blocker}.`
          : status.warm.snapshotAt
            ? `Warm resets load the ready snapshot of ${new Date(status.warm.snapshotAt).toLocaleTimeString()}.`
            : status.warm.readyText
              ? `Warm resets once “${status.warm.readyText}” shows on its serial console after a cold start.`
              : 'Warm resets once it is marked ready.'}
      </p>
      <form
        className="booth-schedule"
        onSubmit={(e) => {
          e.preventDefault();
          void setSchedule(vm.id, schedule.trim());
        }}
      >
        <label>
          Reset schedule
          <input
            value={schedule}
            onChange={(e) => setText(e.target.value)}
            data-testid={`booth-${vm.id}-schedule`}
            title="off, on-stop (fresh every boot), daily@03:00, every:4h, idle:2m"
          />
        </label>
        <button type="submit" className="button-secondary" data-testid={`booth-${vm.id}-schedule-set`}>
          Set
        </button>
      </form>
      <div className="vm-actions">
        <ResetGoldenButton vm={vm} className="button" />
        {status.warm.blocker === null && vm.state === 'running' && (
          <button
            type="button"
            className="button-secondary"
            disabled={pending !== undefined}
            onClick={() => void markReady(vm.id)}
          >
            Mark ready
          </button>
        )}
        <button
          type="button"
          className="button-secondary"
          disabled={!stopped || pending !== undefined}
          title={
            stopped
              ? 'Make its current disk state the next version of its golden image'
              : 'Shut it down first'
          }
          data-testid={`booth-${vm.id}-promote`}
          onClick={() => void promote(vm.id)}
        >
          Make this the new golden
        </button>
        <button
          type="button"
          className="button-ghost"
          disabled={!stopped || pending !== undefined}
          title="Back to a plain disk, keeping the overlay's state as a new file"
          onClick={() => void goldenOff(vm.id)}
        >
          Golden off
        </button>
      </div>
    </>
  );
}

function BindVm({ vm, images }: { vm: VmInfo; images: ImageInfo[] }) {
  const setGolden = useBoothStore((s) => s.setGolden);
  const [image, setImage] = useState(images[0]?.name ?? '');
  const [readyText, setReadyText] = useState('');
  const stopped = canEdit(vm.state);
  if (images.length === 0) return <p className="muted">Add a golden image above to put this VM on one.</p>;
  return (
    <form
      className="booth-bind"
      onSubmit={(e) => {
        e.preventDefault();
        void setGolden(vm.id, image, readyText.trim() || undefined);
      }}
    >
      <label>
        Golden image
        <select value={image} onChange={(e) => setImage(e.target.value)} data-testid={`booth-${vm.id}-image`}>
          {images.map((i) => (
            <option key={i.name} value={i.name}>
              {i.name} (v{i.current})
            </option>
          ))}
        </select>
      </label>
      <label>
        Ready text (optional)
        <input
          value={readyText}
          onChange={(e) => setReadyText(e.target.value)}
          placeholder="login:"
          title="Serial text after which the warm-reset snapshot is taken"
        />
      </label>
      <button
        type="submit"
        data-testid={`booth-bind-${vm.id}`}
        disabled={!stopped}
        title={stopped ? '' : 'Shut it down first'}
      >
        Run on golden image
      </button>
    </form>
  );
}

/** Golden images and the booth: which VMs run on which image, their schedules, reset all. */
export function ImagesPage() {
  const images = useBoothStore((s) => s.images);
  const status = useBoothStore((s) => s.status);
  const notice = useBoothStore((s) => s.notice);
  const resetAll = useBoothStore((s) => s.resetAll);
  const resetting = useBoothStore((s) => s.pending['booth']);
  const vms = useVmStore((s) => s.vms) ?? [];
  const bound = vms.filter((v) => status[v.id]);
  return (
    <div className="images-page">
      {notice && (
        <p
          className={`notice notice-${notice.kind}`}
          role={notice.kind === 'error' ? 'alert' : 'status'}
          data-testid="booth-notice"
        >
          {notice.text}
        </p>
      )}
      <section aria-labelledby="images-title">
        <h2 id="images-title" className="section-title">
          Golden images
        </h2>
        {images === null ? (
          <p className="muted">Loading…</p>
        ) : images.length === 0 ? (
          <p className="muted" data-testid="images-empty">
            No golden images yet. A golden image is never written: VMs run on their own overlay of it and are
            reset to it.
          </p>
        ) : (
          <ul className="image-list">
            {images.map((i) => (
              <ImageRow key={i.name} image={i} />
            ))}
          </ul>
        )}
        <AddImage />
      </section>
      <section aria-labelledby="booth-title">
        <div className="toolbar">
          <h2 id="booth-title" className="section-title">
            Booth <span className="count">{bound.length}</span>
          </h2>
          <button
            type="button"
            data-testid="booth-reset-all"
            disabled={bound.length === 0 || resetting !== undefined}
            onClick={() => void resetAll()}
            title="Reset every VM on a golden image at once"
          >
            {resetting ? 'Resetting all…' : 'Reset all to golden'}
          </button>
        </div>
        <ul className="booth-list">
          {vms.map((vm) => {
            const s = status[vm.id];
            return (
              <li key={vm.id} className="booth-vm" data-testid={`booth-vm-${vm.id}`}>
                <h3>
                  {vm.spec.name} <span className="muted">{vm.state}</span>
                </h3>
                {s ? <BoundVm vm={vm} status={s} /> : <BindVm vm={vm} images={images ?? []} />}
              </li>
            );
          })}
        </ul>
      </section>
    </div>
  );
}
