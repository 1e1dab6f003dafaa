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
