// Every GraphQL document the portal sends. Keep in sync with the backend schema.

export type Role = 'OWNER' | 'ADMIN' | 'MANAGER' | 'STAFF' | 'CUSTOM';

export interface User {
  id: string;
  email: string;
  name: string;
}

export interface Organization {
  id: string;
  name: string;
}

export interface EntitySummary {
  id: string;
  name: string;
  code: string;
  apiAccessEnabled: boolean;
  organization: Organization;
}

export interface CustomRole {
  id: string;
  name: string;
}

export interface ViewerMembership {
  id: string;
  role: Role;
  customRole: CustomRole | null;
  entity: EntitySummary;
}

export interface Viewer {
  user: User;
  isSiteAdmin: boolean;
  memberships: ViewerMembership[];
  impersonating: EntitySummary | null;
}

export interface Member {
  id: string;
  role: Role;
  customRole: CustomRole | null;
  user: User;
}

export interface MembersPage {
  edges: { cursor: string; node: Member }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const ENTITY_FIELDS = `
fragment EntitySummaryFields on Entity {
  id
  name
  code
  apiAccessEnabled
  organization { id name }
}`;

const VIEWER_FIELDS = `
fragment ViewerFields on Viewer {
  user { id email name }
  isSiteAdmin
  memberships {
    id
    role
    customRole { id name }
    entity { ...EntitySummaryFields }
  }
  impersonating { ...EntitySummaryFields }
}
${ENTITY_FIELDS}`;

export const VIEWER_QUERY = `
query Viewer {
  viewer { ...ViewerFields }
}
${VIEWER_FIELDS}`;
export type ViewerQueryResult = { viewer: Viewer | null };

export const LOGIN_MUTATION = `
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    user { id email name }
  }
}`;
export type LoginResult = { login: { user: User } };

export const LOGOUT_MUTATION = `
mutation Logout {
  logout
}`;
export type LogoutResult = { logout: boolean };

export const STOP_IMPERSONATION_MUTATION = `
mutation StopImpersonation {
  stopImpersonation { ...ViewerFields }
}
${VIEWER_FIELDS}`;
export type StopImpersonationResult = { stopImpersonation: Viewer };

export const ENTITY_MEMBERS_QUERY = `
query EntityMembers($id: ID!, $first: Int, $after: String) {
  entity(id: $id) {
    id
    name
    members(first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          role
          customRole { id name }
          user { id email name }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;
export type EntityMembersResult = {
  entity: { id: string; name: string; members: MembersPage } | null;
};

export function roleLabel(role: Role, customRole: CustomRole | null): string {
  if (role === 'CUSTOM') return customRole ? customRole.name : 'Custom';
  return role.charAt(0) + role.slice(1).toLowerCase();
}

// API keys -------------------------------------------------------------------------------------

export type Mode = 'LIVE' | 'TEST';
export type ApiKeyStatus = 'ACTIVE' | 'EXPIRED' | 'REVOKED';

export interface ApiKey {
  id: string;
  name: string;
  description: string;
  mode: Mode;
  /** Prefix, mode, entity code and 4 characters, e.g. `pk_live_acme_8rgH`. */
  start: string;
  last4: string;
  scopes: string[];
  ipAllowlist: string[];
  status: ApiKeyStatus;
  createdAt: string;
  expiresAt: string | null;
  expiresSoon: boolean;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
  revokedAt: string | null;
  createdBy: User | null;
  revokedBy: User | null;
  rotatedTo: { id: string } | null;
  rotatedFrom: { id: string } | null;
}

export interface ApiKeysPage {
  edges: { cursor: string; node: ApiKey }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export interface EntityApiSettings {
  apiAccessEnabled: boolean;
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  rateLimitOverridden: boolean;
}

export interface ScopeType {
  name: string;
  access: string;
  description: string;
}

export interface ScopeResource {
  resource: string;
  scopes: ScopeType[];
}

export interface ScopePreset {
  id: string;
  name: string;
  description: string;
  scopes: string[];
  suggestedExpiryDays: number | null;
}

const API_KEY_FIELDS = `
fragment ApiKeyFields on ApiKey {
  id
  name
  description
  mode
  start
  last4
  scopes
  ipAllowlist
  status
  createdAt
  expiresAt
  expiresSoon
  lastUsedAt
  lastUsedIp
  revokedAt
  createdBy { id email name }
  revokedBy { id email name }
  rotatedTo { id }
  rotatedFrom { id }
}`;

export const ENTITY_API_KEYS_QUERY = `
query EntityApiKeys(
  $id: ID!
  $mode: Mode
  $status: [ApiKeyStatus!]
  $search: String
  $expiringWithinDays: Int
  $first: Int
  $after: String
) {
  entity(id: $id) {
    id
    apiSettings { apiAccessEnabled rateLimitPerSecond rateLimitBurst rateLimitOverridden }
    apiKeys(
      mode: $mode
      status: $status
      search: $search
      expiringWithinDays: $expiringWithinDays
      first: $first
      after: $after
    ) {
      edges { cursor node { ...ApiKeyFields } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
${API_KEY_FIELDS}`;
export type EntityApiKeysVars = {
  id: string;
  mode: Mode | null;
  status: ApiKeyStatus[] | null;
  search: string | null;
  expiringWithinDays: number | null;
  first: number;
  after: string | null;
};
export type EntityApiKeysResult = {
  entity: { id: string; apiSettings: EntityApiSettings; apiKeys: ApiKeysPage } | null;
};

export const SCOPE_CATALOG_QUERY = `
query ScopeCatalog {
  scopeCatalog { resource scopes { name access description } }
  scopePresets { id name description scopes suggestedExpiryDays }
}`;
export type ScopeCatalogResult = { scopeCatalog: ScopeResource[]; scopePresets: ScopePreset[] };

export const CREATE_API_KEY_MUTATION = `
mutation CreateApiKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) {
    secret
    apiKey { ...ApiKeyFields }
  }
}
${API_KEY_FIELDS}`;
export interface CreateApiKeyInput {
  entityId: string;
  name: string;
  mode: Mode;
  description: string;
  scopes?: string[] | null;
  preset?: string | null;
  expiresInDays?: number | null;
  ipAllowlist: string[];
}
export type CreateApiKeyResult = { createApiKey: { secret: string; apiKey: ApiKey } };

export const UPDATE_API_KEY_MUTATION = `
mutation UpdateApiKey($input: UpdateApiKeyInput!) {
  updateApiKey(input: $input) {
    apiKey { ...ApiKeyFields }
  }
}
${API_KEY_FIELDS}`;
export interface UpdateApiKeyInput {
  id: string;
  name?: string | null;
  description?: string | null;
  ipAllowlist?: string[] | null;
}
export type UpdateApiKeyResult = { updateApiKey: { apiKey: ApiKey } };

export const ROTATE_API_KEY_MUTATION = `
mutation RotateApiKey($input: RotateApiKeyInput!) {
  rotateApiKey(input: $input) {
    secret
    apiKey { ...ApiKeyFields }
    previous { ...ApiKeyFields }
  }
}
${API_KEY_FIELDS}`;
export type RotateApiKeyResult = { rotateApiKey: { secret: string; apiKey: ApiKey; previous: ApiKey } };

export const REVOKE_API_KEY_MUTATION = `
mutation RevokeApiKey($input: RevokeApiKeyInput!) {
  revokeApiKey(input: $input) {
    apiKey { ...ApiKeyFields }
  }
}
${API_KEY_FIELDS}`;
export type RevokeApiKeyResult = { revokeApiKey: { apiKey: ApiKey } };

// Request logs ---------------------------------------------------------------------------------

export interface HttpHeader {
  name: string;
  value: string;
}

/** The columns of the logs table (no PII). */
export interface RequestLogSummary {
  id: string;
  timestamp: string;
  mode: Mode;
  method: string;
  path: string;
  route: string;
  status: number;
  errorCode: string | null;
  latencyMs: number;
  apiKeyId: string | null;
}

/** One request in full. The PII fields are only asked for when the viewer has `pii.read`. */
export interface RequestLogDetail extends RequestLogSummary {
  query: string;
  requestSize: number;
  responseSize: number;
  idempotencyKey: string | null;
  curlCommand: string;
  ip?: string | null;
  userAgent?: string | null;
  requestHeaders?: HttpHeader[] | null;
  responseHeaders?: HttpHeader[] | null;
  requestBody?: string | null;
  responseBody?: string | null;
}

export interface RequestLogFilter {
  mode: Mode;
  from: string;
  to: string;
  statusClass?: number | null;
  method?: string | null;
  pathPrefix?: string | null;
  requestId?: string | null;
  apiKeyId?: string | null;
}

export interface TailFilter {
  statusClass?: number | null;
  method?: string | null;
  pathPrefix?: string | null;
  apiKeyId?: string | null;
}

const REQUEST_LOG_SUMMARY_FIELDS = `
fragment RequestLogSummaryFields on RequestLog {
  id
  timestamp
  mode
  method
  path
  route
  status
  errorCode
  latencyMs
  apiKeyId
}`;

export const ENTITY_REQUEST_LOGS_QUERY = `
query EntityRequestLogs($id: ID!, $filter: RequestLogFilter!, $first: Int, $after: String) {
  entity(id: $id) {
    id
    requestLogs(filter: $filter, first: $first, after: $after) {
      edges { cursor node { ...RequestLogSummaryFields } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
${REQUEST_LOG_SUMMARY_FIELDS}`;
export type EntityRequestLogsResult = {
  entity: {
    id: string;
    requestLogs: {
      edges: { cursor: string; node: RequestLogSummary }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    };
  } | null;
};

/** `$pii` must be true only when the viewer has `pii.read`: otherwise the server answers FORBIDDEN. */
export const ENTITY_REQUEST_LOG_QUERY = `
query EntityRequestLog($id: ID!, $requestId: ID!, $pii: Boolean!) {
  entity(id: $id) {
    id
    requestLog(id: $requestId) {
      ...RequestLogSummaryFields
      query
      requestSize
      responseSize
      idempotencyKey
      curlCommand
      ip @include(if: $pii)
      userAgent @include(if: $pii)
      requestHeaders @include(if: $pii) { name value }
      responseHeaders @include(if: $pii) { name value }
      requestBody @include(if: $pii)
      responseBody @include(if: $pii)
    }
  }
}
${REQUEST_LOG_SUMMARY_FIELDS}`;
export type EntityRequestLogResult = { entity: { id: string; requestLog: RequestLogDetail | null } | null };

export const REQUEST_LOG_TAIL_SUBSCRIPTION = `
subscription RequestLogTail($entityId: ID!, $mode: Mode!, $filter: TailFilter) {
  requestLogTail(entityId: $entityId, mode: $mode, filter: $filter) { ...RequestLogSummaryFields }
}
${REQUEST_LOG_SUMMARY_FIELDS}`;
export type RequestLogTailResult = { requestLogTail: RequestLogSummary };

/** What the viewer may do in the entity, and (best effort) the names of its keys. */
export const ENTITY_PERMISSIONS_QUERY = `
query EntityPermissions($id: ID!) {
  entity(id: $id) { id viewerPermissions }
}`;
export type EntityPermissionsResult = { entity: { id: string; viewerPermissions: string[] } | null };

export interface KeyLabel {
  id: string;
  name: string;
  mode: Mode;
  start: string;
  last4: string;
}

export const ENTITY_KEY_LABELS_QUERY = `
query EntityKeyLabels($id: ID!, $first: Int) {
  entity(id: $id) {
    id
    apiKeys(first: $first) { edges { node { id name mode start last4 } } }
  }
}`;
export type EntityKeyLabelsResult = { entity: { id: string; apiKeys: { edges: { node: KeyLabel }[] } } | null };

// Log exports ----------------------------------------------------------------------------------

export type ExportFormat = 'CSV' | 'NDJSON';
export type LogExportStatus = 'PENDING' | 'RUNNING' | 'COMPLETED' | 'FAILED';

export interface LogExport {
  id: string;
  format: ExportFormat;
  status: LogExportStatus | string;
  rowCount: number;
  sizeBytes: number;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
  downloadUrl: string | null;
}

const LOG_EXPORT_FIELDS = `
fragment LogExportFields on LogExport {
  id
  format
  status
  rowCount
  sizeBytes
  error
  createdAt
  finishedAt
  downloadUrl
}`;

export const ENTITY_LOG_EXPORTS_QUERY = `
query EntityLogExports($id: ID!) {
  entity(id: $id) { id logExports { ...LogExportFields } }
}
${LOG_EXPORT_FIELDS}`;
export type EntityLogExportsResult = { entity: { id: string; logExports: LogExport[] } | null };

export const CREATE_LOG_EXPORT_MUTATION = `
mutation CreateLogExport($input: CreateLogExportInput!) {
  createLogExport(input: $input) { logExport { ...LogExportFields } }
}
${LOG_EXPORT_FIELDS}`;
export interface CreateLogExportInput {
  entityId: string;
  filter: RequestLogFilter;
  format: ExportFormat;
}
export type CreateLogExportResult = { createLogExport: { logExport: LogExport } };

// Analytics ------------------------------------------------------------------------------------

export type Granularity = 'MINUTE' | 'FIVE_MINUTES' | 'FIFTEEN_MINUTES' | 'HOUR' | 'SIX_HOURS' | 'DAY';

export interface AnalyticsTotals {
  requests: number;
  ok2xx: number;
  redirects3xx: number;
  errors4xx: number;
  errors5xx: number;
  errorRate: number;
  avgLatencyMs: number | null;
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  p99LatencyMs: number | null;
  activeKeys: number;
}

export interface AnalyticsPoint {
  timestamp: string;
  requests: number;
  errors: number;
  avgLatencyMs: number | null;
}

export interface AnalyticsGroup {
  key: string;
  requests: number;
  errors: number;
  errorRate: number;
  avgLatencyMs: number | null;
}

export interface Analytics {
  from: string;
  to: string;
  granularitySeconds: number;
  totals: AnalyticsTotals;
  previousPeriod: AnalyticsTotals;
  series: AnalyticsPoint[];
  topEndpoints: AnalyticsGroup[];
  usageByKey: AnalyticsGroup[];
  topErrorCodes: AnalyticsGroup[];
}

const ANALYTICS_TOTALS_FIELDS = `
fragment AnalyticsTotalsFields on AnalyticsTotals {
  requests
  ok2xx
  redirects3xx
  errors4xx
  errors5xx
  errorRate
  avgLatencyMs
  p50LatencyMs
  p95LatencyMs
  p99LatencyMs
  activeKeys
}`;

export const ENTITY_ANALYTICS_QUERY = `
query EntityAnalytics($id: ID!, $mode: Mode!, $from: DateTime!, $to: DateTime!, $granularity: Granularity) {
  entity(id: $id) {
    id
    analytics(mode: $mode, from: $from, to: $to, granularity: $granularity) {
      from
      to
      granularitySeconds
      totals { ...AnalyticsTotalsFields }
      previousPeriod { ...AnalyticsTotalsFields }
      series { timestamp requests errors avgLatencyMs }
      topEndpoints { key requests errors errorRate avgLatencyMs }
      usageByKey { key requests errors errorRate avgLatencyMs }
      topErrorCodes { key requests errors errorRate avgLatencyMs }
    }
  }
}
${ANALYTICS_TOTALS_FIELDS}`;
export type EntityAnalyticsResult = { entity: { id: string; analytics: Analytics } | null };
