import { useVmStore } from '../../stores/context';

export function InvalidDefinitions() {
  const invalid = useVmStore((s) => s.invalid);
  if (invalid.length === 0) return null;
  return (
    <section
      className="notice notice-warning"
      data-testid="invalid-definitions"
      aria-labelledby="invalid-title"
    >
      <h2 id="invalid-title">
        {invalid.length === 1
          ? '1 VM definition file could not be loaded'
          : `${invalid.length} VM definition files could not be loaded`}
      </h2>
      <p>Tessera leaves these files untouched. Fix or remove them, and the VMs they define appear here.</p>
      <ul>
        {invalid.map(({ file, reason }) => (
          <li key={file}>
            <code>{file}</code>: {reason}
          </li>
        ))}
      </ul>
    </section>
  );
}
