/** Keeps a failing view (a chart, a pane) from taking the page down: it shows the error in its place. */
import { Component, h, type ComponentChildren } from 'preact';

export class ErrorBoundary extends Component<{ what: string; children?: ComponentChildren }, { error: string | null }> {
  override state = { error: null as string | null };

  static override getDerivedStateFromError(error: unknown): { error: string } {
    return { error: error instanceof Error ? error.message : String(error) };
  }

  override render() {
    if (this.state.error !== null) return h('p', { class: 'muted small view-error', 'data-testid': 'view-error' }, `The ${this.props.what} could not be shown: ${this.state.error}`);
    return this.props.children;
  }
}
