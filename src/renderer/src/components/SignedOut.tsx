/** A browser tab without a `tessera serve` session: what to do, not an empty app. */
export function SignedOut({ message }: { message: string }) {
  return (
    <main className="page" data-testid="signed-out">
      <h1>Tessera</h1>
      <p className="banner" role="alert">
        {message}
      </p>
    </main>
  );
}
