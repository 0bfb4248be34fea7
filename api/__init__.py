"""Agora interfaces: FastAPI app, GraphQL schema, HTML pages and the CLI."""
