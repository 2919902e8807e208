import { Component, type ReactNode } from 'react';
import { formatRoute } from '../navigation/route';

interface ViewBoundaryState {
  error: Error | null;
}

/**
 * A view that throws (a console library meeting something unexpected) takes only itself down:
 * the header, the navigation and every other view keep working.
 */
export class ViewBoundary extends Component<{ children: ReactNode }, ViewBoundaryState> {
  override state: ViewBoundaryState = { error: null };

  static getDerivedStateFromError(error: unknown): ViewBoundaryState {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override render() {
    if (this.state.error === null) return this.props.children;
    return (
      <div className="notice notice-error" role="alert" data-testid="view-error">
        <h2>This view stopped working</h2>
        <p>{this.state.error.message}</p>
        <p>
          <a href={formatRoute({ view: 'gallery' })}>Back to the gallery</a>; your VMs are not affected.
        </p>
      </div>
    );
  }
}
