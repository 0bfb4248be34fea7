"""The SPARQL 1.1 Service Description returned by a bare GET on /sparql."""

from __future__ import annotations

import pyoxigraph as ox


def service_description(endpoint: str, fmt: ox.RdfFormat) -> bytes:
    ttl = f"""
@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix ent: <http://www.w3.org/ns/entailment/> .
@prefix fmt: <http://www.w3.org/ns/formats/> .
<{endpoint}> a sd:Service ;
  sd:endpoint <{endpoint}> ;
  sd:supportedLanguage sd:SPARQL11Query, sd:SPARQL11Update ;
  sd:resultFormat fmt:SPARQL_Results_JSON, fmt:SPARQL_Results_XML, fmt:SPARQL_Results_CSV,
     fmt:SPARQL_Results_TSV, fmt:Turtle, fmt:N-Triples, fmt:JSON-LD, fmt:RDF_XML, fmt:TriG, fmt:N-Quads ;
  sd:feature sd:UnionDefaultGraph, sd:BasicFederatedQuery ;
  sd:defaultEntailmentRegime ent:Simple ;
  sd:defaultDataset [ a sd:Dataset ; sd:defaultGraph [ a sd:Graph ] ] .
"""
    quads = list(ox.parse(ttl, format=ox.RdfFormat.TURTLE))
    if fmt.supports_datasets:
        return ox.serialize(quads, format=fmt)
    return ox.serialize([q.triple for q in quads], format=fmt)
