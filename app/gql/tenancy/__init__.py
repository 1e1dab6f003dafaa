"""GraphQL for tenancy: entities, members, invitations and custom roles."""
