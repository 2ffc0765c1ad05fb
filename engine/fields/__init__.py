"""The values of declared fields: coercion, stored documents, JSON Schema and masking."""
