/** A page's title with its refresh button, and the error of the last read if it failed. */
export function PageHead(props: {
  id: string;
  title: string;
  loading: boolean;
  idleLabel: string;
  busyLabel: string;
  onRefresh: () => void;
  error: string | null;
  errorPrefix: string;
}) {
  return (
    <>
      <div className="page-head">
        <h2 id={`${props.id}-title`} className="section-title">
          {props.title}
        </h2>
        <button
          type="button"
          className="button-quiet"
          onClick={props.onRefresh}
          disabled={props.loading}
          data-testid={`${props.id}-refresh`}
        >
          {props.loading ? props.busyLabel : props.idleLabel}
        </button>
      </div>
      {props.error !== null && (
        <p className="notice notice-error" role="alert" data-testid={`${props.id}-error`}>
          {props.errorPrefix}: {props.error}
        </p>
      )}
    </>
  );
}
