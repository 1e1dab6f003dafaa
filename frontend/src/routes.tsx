import { Link, Navigate, useLocation, useParams, type RouteObject } from 'react-router';
import { App } from './App';
import { chooseEntity, readStoredEntityId, storeEntityId, useViewer } from './auth/viewer';
import { Shell } from './shell/Shell';
import { DevelopersSettings } from './shell/DevelopersSettings';
import { AdminEntities } from './shell/AdminEntities';
import { ADMIN_ENTITIES_PATH, DEFAULT_MODE, DEFAULT_TAB, isTab, tabPath } from './shell/paths';
import { useEffect } from 'react';

export const routes: RouteObject[] = [
  {
    path: '/',
    element: <App />,
    children: [
      { index: true, element: <Home /> },
      {
        path: 'entities/:entityId',
        element: <EntityLayout />,
        children: [
          { index: true, element: <TabRedirect /> },
          { path: 'developers', element: <TabRedirect /> },
          { path: 'developers/:tab', element: <DevelopersSettings /> },
          // A tab's sub-view (e.g. a webhook endpoint: developers/webhooks/whe_…).
          { path: 'developers/:tab/:detailId', element: <DevelopersSettings /> },
          { path: '*', element: <TabRedirect /> },
        ],
      },
      // A built-in guide's public URL (docLinks): the Docs tab of the viewer's entity shows it.
      { path: 'docs/guides/:slug', element: <GuideRedirect /> },
      { path: 'admin/entities', element: <AdminPage /> },
      { path: '*', element: <NotFound /> },
    ],
  },
];

/** `/`: the remembered (or first) entity's first tab; `/#logs` links from before the router still work. */
function Home() {
  const { viewer } = useViewer();
  const { hash } = useLocation();
  const entityId = chooseEntity(viewer, null, readStoredEntityId());
  if (!entityId && viewer.isSiteAdmin) return <Navigate to={ADMIN_ENTITIES_PATH} replace />;
  if (!entityId) {
    return (
      <Shell entityId={null}>
        <div className="empty">
          <h1>No entity</h1>
          <p className="muted">You are not a member of any entity yet. Ask an owner to invite you.</p>
        </div>
      </Shell>
    );
  }
  const legacyTab = hash.replace(/^#/, '');
  return <Navigate to={tabPath(entityId, isTab(legacyTab) ? legacyTab : DEFAULT_TAB)} replace />;
}

/** `/docs/guides/:slug`: the guide in the Docs tab of the remembered (or first) entity. */
function GuideRedirect() {
  const { viewer } = useViewer();
  const { slug = '' } = useParams();
  const entityId = chooseEntity(viewer, null, readStoredEntityId());
  if (!entityId) return <Navigate to="/" replace />;
  const search = new URLSearchParams({ mode: DEFAULT_MODE, guide: slug });
  return <Navigate to={`${tabPath(entityId, 'docs')}?${search.toString()}`} replace />;
}

/** `/entities/:entityId/…`: the entity must be one the viewer can open, else another one is shown. */
function EntityLayout() {
  const { viewer } = useViewer();
  const { entityId = '' } = useParams();
  const location = useLocation();
  const chosen = chooseEntity(viewer, entityId, readStoredEntityId());

  useEffect(() => {
    if (chosen && chosen === entityId) storeEntityId(chosen);
  }, [chosen, entityId]);

  if (!chosen) return <Navigate to="/" replace />;
  if (chosen !== entityId) {
    // Same tab and filters, in an entity the viewer can open.
    const prefix = `/entities/${encodeURIComponent(entityId)}`;
    const rest = location.pathname.startsWith(prefix) ? location.pathname.slice(prefix.length) : '';
    return (
      <Navigate to={{ pathname: `/entities/${encodeURIComponent(chosen)}${rest}`, search: location.search }} replace />
    );
  }
  return <Shell entityId={chosen} />;
}

/** `/admin/entities`: the site admins' entity search (the page says so to anyone else). */
function AdminPage() {
  return (
    <Shell entityId={null}>
      <AdminEntities />
    </Shell>
  );
}

function TabRedirect() {
  const { entityId = '' } = useParams();
  const { search } = useLocation();
  return <Navigate to={{ pathname: tabPath(entityId, DEFAULT_TAB), search }} replace />;
}

function NotFound() {
  return (
    <Shell entityId={null}>
      <div className="empty">
        <h1>Page not found</h1>
        <p className="muted">
          There is nothing at this address. <Link to="/">Go to the portal</Link>
        </p>
      </div>
    </Shell>
  );
}
