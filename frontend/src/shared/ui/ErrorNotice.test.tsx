// @vitest-environment jsdom
import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/react';
import { GraphQLRequestError } from '../api/client';
import { ErrorNotice } from './ErrorNotice';

describe('ErrorNotice', () => {
  it('shows the code, field and request ID', () => {
    const err = new GraphQLRequestError('Taken', 'BAD_USER_INPUT', 'email', [], 'req_123');
    render(<ErrorNotice error={err} prefix="Could not add" />);
    expect(screen.getByRole('alert').textContent).toContain('Could not add: Taken');
    expect(screen.getByTestId('error-code').textContent).toBe('BAD_USER_INPUT');
    expect(screen.getByTestId('error-field').textContent).toBe('email');
    expect(screen.getByTestId('error-request-id').textContent).toBe('req_123');
    expect(screen.getByRole('button', { name: 'Copy details' })).toBeTruthy();
  });

  it('asks for a refetch once per stale error, never for others', () => {
    const onStale = vi.fn();
    const stale = new GraphQLRequestError('Gone', 'NOT_FOUND');
    const { rerender } = render(<ErrorNotice error={stale} onStale={onStale} />);
    rerender(<ErrorNotice error={stale} onStale={onStale} />);
    expect(onStale).toHaveBeenCalledTimes(1);
    rerender(<ErrorNotice error={new GraphQLRequestError('No', 'FORBIDDEN')} onStale={onStale} />);
    expect(onStale).toHaveBeenCalledTimes(1);
    rerender(<ErrorNotice error={new GraphQLRequestError('Changed', 'CONFLICT')} onStale={onStale} />);
    expect(onStale).toHaveBeenCalledTimes(2);
  });
});
