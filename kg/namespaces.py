"""The IRIs Agora's code refers to, in one place."""

from __future__ import annotations

import pyoxigraph as ox

AGORA = "https://w3id.org/agora/ns#"
SECTOR = "https://w3id.org/agora/sector/"
ROLE = "https://w3id.org/agora/role/"
PURPOSE = "https://w3id.org/agora/purpose/"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
ORG = "http://www.w3.org/ns/org#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ODRL = "http://www.w3.org/ns/odrl/2/"
PROV = "http://www.w3.org/ns/prov#"
SH = "http://www.w3.org/ns/shacl#"
VCARD = "http://www.w3.org/2006/vcard/ns#"

# Internal IRIs: never part of the public default graph.
META_GRAPH = ox.NamedNode("urn:agora:meta")
"""PROV-O provenance and the source registry (which physical graph is current for each source)."""
PHYSICAL_PREFIX = "urn:agora:g:"
FIDELITY_PREFIX = "urn:agora:fid:"
REPORT_PREFIX = "urn:agora:report:"
STAGING_PREFIX = "urn:agora:staging:"
QUARANTINE_PREFIX = "urn:agora:quarantine:"
"""Records a harvest rejected, with their validation reports, per source version."""
OPAQUE_DT_PREFIX = "urn:agora:dt:"
"""Datatype prefix for literals kept verbatim: Oxigraph stores unknown datatypes byte for byte."""
OPAQUE_LANG_PREFIX = "urn:agora:lang:"

PREFIXES: dict[str, str] = {
    "agora": AGORA, "sector": SECTOR, "role": ROLE, "purpose": PURPOSE, "xsd": XSD, "rdf": RDF,
    "rdfs": RDFS, "owl": OWL, "dcat": DCAT, "dct": DCT, "foaf": FOAF, "org": ORG, "skos": SKOS,
    "odrl": ODRL, "prov": PROV, "sh": SH, "vcard": VCARD,
    "locn": "http://www.w3.org/ns/locn#", "gsp": "http://www.opengis.net/ont/geosparql#",
    "dqv": "http://www.w3.org/ns/dqv#", "dpv": "https://w3id.org/dpv#", "adms": "http://www.w3.org/ns/adms#",
}


def n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)
