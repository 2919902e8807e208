import { formatRoute } from '../../navigation/route';

export function EmptyState() {
  return (
    <section className="empty" data-testid="vm-list-empty" aria-labelledby="empty-title">
      <h2 id="empty-title">No VMs yet</h2>
      <p>
        A VM needs a name, some memory and something to boot: a disk image, an installer ISO, or a Linux
        kernel. Create one here and it appears in this gallery, where you start it and open its console.
      </p>
      <p>
        <a className="button" href={formatRoute({ view: 'new' })} data-testid="empty-create-vm">
          Create your first VM
        </a>
      </p>
      <p className="muted">Or from a terminal:</p>
      <pre className="command">
        <code>tessera vm create NAME --memory 512 --kernel PATH/TO/vmlinuz</code>
      </pre>
      <p className="muted">
        Nothing to boot yet? <code>npm run tiny-guest</code> in Tessera’s folder builds a tiny Linux guest
        that starts in seconds, and prints the command that creates it.
      </p>
    </section>
  );
}
