import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { App } from './app';
import { Session } from './auth';
import { type ConsoleConfig, loadConfig } from './config';
import './styles.css';
import { messageOf } from './ui';

function SignIn({ session, problem }: { session: Session; problem?: unknown }) {
  return (
    <main class="signed-out" id="main">
      <h1>Hi-Vis Loyalty console</h1>
      <p>Run the Moma integration, review what could not be processed, and look after customers' points.</p>
      {problem ? (
        <p class="note error" role="alert" data-testid="sign-in-error">
          {messageOf(problem)}
        </p>
      ) : null}
      <button type="button" onClick={() => void session.signIn()} data-testid="sign-in">
        Sign in
      </button>
      {session.config.environment === 'local' ? (
        <p class="muted">Locally, sign in as one of the operators `npm start` printed (admin@hivis.local or viewer@hivis.local).</p>
      ) : null}
    </main>
  );
}

function Root({ session, problem }: { session: Session; problem?: unknown }) {
  const [, setVersion] = useState(0);
  useEffect(() => session.onChange(() => setVersion((v) => v + 1)), [session]);
  return session.signedIn ? <App session={session} /> : <SignIn session={session} problem={problem} />;
}

async function start(root: HTMLElement) {
  let config: ConsoleConfig;
  try {
    config = await loadConfig();
  } catch (error) {
    render(
      <main class="signed-out">
        <h1>The console cannot start</h1>
        <p class="note error" role="alert">
          {messageOf(error)}
        </p>
      </main>,
      root,
    );
    return;
  }
  const session = new Session(config);
  let problem: unknown;
  try {
    await session.completeSignIn();
  } catch (error) {
    problem = error;
  }
  root.replaceChildren();
  render(<Root session={session} problem={problem} />, root);
}

const root = document.getElementById('app');
if (root) void start(root);
