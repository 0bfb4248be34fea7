"""Harvesting: pull catalogs from DCAT, CKAN, SPARQL and other Agora instances into versioned sources."""
