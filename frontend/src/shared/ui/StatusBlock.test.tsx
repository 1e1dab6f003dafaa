// @vitest-environment jsdom
import { render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { GraphQLRequestError } from '../api/client';
import { StatusBlock, failureState } from './StatusBlock';

const props = { title: 'Logs', loadingText: 'Loading logs…', forbiddenTestId: 'logs-forbidden' };

describe('StatusBlock', () => {
  it('shows loading as a status', () => {
    render(<StatusBlock state={{ status: 'loading' }} onRetry={() => {}} {...props} />);
    expect(screen.getByRole('status').textContent).toBe('Loading logs…');
  });

  it('shows the forbidden notice', () => {
    render(<StatusBlock state={{ status: 'forbidden' }} onRetry={() => {}} {...props} />);
    expect(screen.getByTestId('logs-forbidden').textContent).toContain("You don't have access to this section");
    expect(screen.getByRole('heading', { name: 'Logs' })).toBeTruthy();
  });

  it('shows the error with Retry', () => {
    const onRetry = vi.fn();
    render(<StatusBlock state={{ status: 'error', message: 'Boom' }} onRetry={onRetry} {...props} />);
    expect(screen.getByRole('alert').textContent).toBe('Boom');
    screen.getByRole('button', { name: 'Retry' }).click();
    expect(onRetry).toHaveBeenCalledOnce();
  });

  it('maps FORBIDDEN to the notice and anything else to the error', () => {
    expect(failureState(new GraphQLRequestError('No', 'FORBIDDEN'))).toEqual({ status: 'forbidden' });
    expect(failureState(new GraphQLRequestError('Down', 'NETWORK_ERROR'))).toEqual({ status: 'error', message: 'Down' });
  });
});
