"""The ground floor every layer may use: Actor, error codes, patterns (RE2), passwords, the instance key, the
plugin API and suggestions for misspelt names."""
