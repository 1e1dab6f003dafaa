"""GraphQL for webhooks: the event catalog, endpoints with their deliveries and attempts, the
delivery infrastructure's status, and the endpoint, secret and delivery mutations."""
