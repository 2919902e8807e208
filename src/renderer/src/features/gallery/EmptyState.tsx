export function EmptyState() {
  return (
    <section className="empty" data-testid="vm-list-empty" aria-labelledby="empty-title">
      <h2 id="empty-title">No VMs yet</h2>
      <p>Create your first VM from a terminal:</p>
      <pre className="command">
        <code>tessera vm create NAME --memory 512 --kernel PATH/TO/vmlinuz</code>
      </pre>
      <p>
        In words: give the VM a name (letters, digits, dots, dashes or underscores), 512 MiB of memory, and a
        Linux kernel image to boot. It appears here as soon as it exists, and you can start it from this page.
      </p>
    </section>
  );
}
