import { Component, type ErrorInfo, type ReactNode } from "react";

/** A page that throws while rendering shows what went wrong and a way back, instead of a blank board. */
export class ErrorBoundary extends Component<{ children: ReactNode; resetKey: string }, { error: Error | null }> {
  state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  componentDidCatch(error: Error, info: ErrorInfo) {
    console.error("The page failed to render", error, info.componentStack);
  }

  componentDidUpdate(previous: { resetKey: string }) {
    // Going to another page is a way out.
    if (previous.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: null });
  }

  render() {
    if (!this.state.error) return this.props.children;
    return (
      <div role="alert" className="error-page">
        <h2>This page failed to show</h2>
        <p>{this.state.error.message}</p>
        <button onClick={() => window.location.reload()}>Reload</button>
      </div>
    );
  }
}
