import { useState, type FormEvent } from 'react';
import { GraphQLRequestError, errorMessage, gqlRequest } from '../shared/api/client';
import { LoginDocument } from '../gql/graphql';

interface Props {
  onSignedIn: () => Promise<void> | void;
}

export function SignIn({ onSignedIn }: Props) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<{ message: string; field?: string } | null>(null);

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSubmitting(true);
    setError(null);
    try {
      await gqlRequest(LoginDocument, { email, password }, { notifyUnauthenticated: false });
      setPassword('');
      await onSignedIn();
    } catch (err) {
      if (err instanceof GraphQLRequestError) {
        setError({ message: err.message, field: err.field });
      } else {
        setError({ message: errorMessage(err) });
      }
      setSubmitting(false);
    }
  }

  return (
    <main className="centered">
      <form className="card signin" onSubmit={handleSubmit} aria-labelledby="signin-title" noValidate>
        <div className="brand brand-large" aria-hidden="true">
          Portico
        </div>
        <h1 id="signin-title">Sign in</h1>
        <p className="muted">Use your Portico account to manage your developer portal.</p>

        {error && (
          <div role="alert" className="alert">
            {error.message}
          </div>
        )}

        <div className="field">
          <label htmlFor="signin-email">Email</label>
          <input
            id="signin-email"
            name="email"
            type="email"
            autoComplete="username"
            required
            value={email}
            aria-invalid={error?.field === 'email' || undefined}
            onChange={(e) => setEmail(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="signin-password">Password</label>
          <input
            id="signin-password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            aria-invalid={error?.field === 'password' || undefined}
            onChange={(e) => setPassword(e.target.value)}
          />
        </div>
        <button type="submit" className="button primary block" disabled={submitting}>
          {submitting ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
