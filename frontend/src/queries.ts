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
