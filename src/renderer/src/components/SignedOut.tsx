/** A browser tab without a `tessera serve` session: what to do, not an empty app. */
export function SignedOut({ message }: { message: string }) {
  // The messages quote commands between backticks; show those as code.
  const parts = message.split('`');
  return (
    <main className="page" data-testid="signed-out">
      <h1>Tessera</h1>
      <p className="banner" role="alert">
        {parts.map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part))}
      </p>
    </main>
  );
}
