// GraphiQL for /graphql, bundled by the portal build (never loaded from a CDN). Queries and
// mutations go to the same origin with the session cookie; subscriptions over graphql-ws.
import './workers';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { createClient } from 'graphql-ws';
import 'graphiql/style.css';
import './graphiql.css';
import { GRAPHQL_ENDPOINT } from '../shared/api/client';
import { socketUrl } from '../shared/api/subscribe';

const container = document.getElementById('graphiql');
if (!container) throw new Error('Missing #graphiql element');

const fetcher = createGraphiQLFetcher({
  url: new URL(GRAPHQL_ENDPOINT, window.location.href).toString(),
  wsClient: createClient({ url: socketUrl(), connectionParams: {}, lazy: true }),
});

createRoot(container).render(
  <StrictMode>
    <GraphiQL fetcher={fetcher} defaultEditorToolsVisibility="variables" />
  </StrictMode>,
);
