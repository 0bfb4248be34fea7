"""The Agora core: store, loading, validation, search, policies, harvesting. No HTTP here."""
