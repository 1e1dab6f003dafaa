// "Needs attention": the entity's keys and webhook endpoints ranked by how much their error rate rose
// from the previous window of the same length (24 h or 7 d) to this one, both rates shown. A key opens
// the Logs tab filtered to it, an endpoint its detail (deliveries and health).

import { useCallback } from 'react';
import { Link } from 'react-router';
import { gqlRequest } from '../shared/api/client';
import { NeedsAttentionDocument, type HealthWindow, type Mode, type NeedsAttentionQuery } from '../gql/graphql';
import { formatNumber, formatPercent } from '../shared/format';
import { Segmented } from '../shared/ui/Segmented';
import { StatusBlock } from '../shared/ui/StatusBlock';
import { usePageMode } from '../shell/pageMode';
import { tabPath } from '../shell/paths';
import { logsSearch } from '../logs/filters';
import { WINDOWS, useWindowedLoad, windowRange } from './windowedLoad';
import { webhookPath } from '../webhooks/WebhooksTab';
import '../insight/health.css';

type Item = NonNullable<NeedsAttentionQuery['entity']>['needsAttention']['items'][number];

function itemPath(entityId: string, mode: Mode, window: HealthWindow, item: Item): string {
  if (item.kind === 'API_KEY') {
    return `${tabPath(entityId, 'logs')}${logsSearch(mode, { range: windowRange(window), apiKeyId: item.id, statusClass: '' })}`;
  }
  return webhookPath(entityId, item.id, mode);
}

function change(value: number): string {
  const points = Math.round(value * 1000) / 10;
  return `${points > 0 ? '+' : ''}${points} pts`;
}

/** "12.5% (5 of 40)". */
function RateOf({ rate, errors, volume }: { rate: number; errors: number; volume: number }) {
  return (
    <>
      {formatPercent(rate)}{' '}
      <span className="muted small-text">
        ({formatNumber(errors)} of {formatNumber(volume)})
      </span>
    </>
  );
}

export function NeedsAttentionTab({ entityId }: { entityId: string }) {
  const { gqlMode: mode } = usePageMode();
  const fetchItems = useCallback(
    (window: HealthWindow) =>
      gqlRequest(NeedsAttentionDocument, { entityId, mode, window }).then((data): Item[] => data.entity?.needsAttention.items ?? []),
    [entityId, mode],
  );
  // the table stays shown while another window loads (its links and text follow the switch)
  const { window, setWindow, state, reload } = useWindowedLoad(fetchItems, { keepShownWhileLoading: true });

  return (
    <div className="needs-attention" data-testid="needs-attention">
      <div className="section-head">
        <div>
          <h2>Needs attention</h2>
          <p className="muted">
            Keys and webhook endpoints whose error rate rose the most against the previous {window === 'DAY' ? '24 hours' : '7 days'}.
          </p>
        </div>
        <Segmented label="Window" options={WINDOWS} value={window} onChange={setWindow} />
      </div>
      {state.status !== 'ready' ? (
        <StatusBlock
          state={state}
          title="Needs attention"
          loadingText="Loading…"
          forbiddenTestId="needs-attention-forbidden"
          onRetry={reload}
        />
      ) : state.value.length === 0 ? (
        <p className="muted" data-testid="needs-attention-empty">
          Nothing failing in this window.
        </p>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="needs-attention-table" aria-label="Needs attention">
            <thead>
              <tr>
                <th scope="col">What</th>
                <th scope="col">Error rate</th>
                <th scope="col">Before</th>
                <th scope="col">Change</th>
                <th scope="col">Volume</th>
              </tr>
            </thead>
            <tbody>
              {state.value.map((item) => (
                <tr key={`${item.kind}-${item.id}`} data-attention-id={item.id}>
                  <td>
                    <span className="pill">{item.kind === 'API_KEY' ? 'API key' : 'Webhook'}</span>{' '}
                    <Link to={itemPath(entityId, mode, window, item)} className={item.kind === 'API_KEY' ? undefined : 'mono break'}>
                      {item.name}
                    </Link>
                  </td>
                  <td data-testid="attention-rate">
                    <RateOf rate={item.errorRate} errors={item.errors} volume={item.volume} />
                  </td>
                  <td data-testid="attention-previous">
                    <RateOf rate={item.previousErrorRate} errors={item.previousErrors} volume={item.previousVolume} />
                  </td>
                  <td className={item.change > 0 ? 'danger-text' : undefined}>{change(item.change)}</td>
                  <td>
                    {formatNumber(item.volume)} {item.kind === 'API_KEY' ? 'requests' : 'attempts'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
