"""GraphQL for API keys: the ApiKey type, the scope catalog, key and API-settings mutations."""
