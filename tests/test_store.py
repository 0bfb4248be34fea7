"""Sources in the on-disk store: named graphs, atomic load/replace/delete, provenance, clean-up."""

from __future__ import annotations

import gzip

import pyoxigraph as ox
import pytest

from agora.kg.errors import RDFSyntaxError, SourceExists, SourceNotFound
from agora.kg.loader import delete_source, load_documents, load_files
from agora.kg.namespaces import META_GRAPH
from agora.kg.query import run_query
from agora.kg.rdfio import RDFInput
from agora.kg.store import AgoraStore

pytestmark = pytest.mark.backends  # every test here runs on the embedded store and on Virtuoso


def _doc(text: str, name: str = "x.ttl", fmt: ox.RdfFormat = ox.RdfFormat.TURTLE) -> RDFInput:
    return RDFInput.from_bytes(text.encode(), name=name, fmt=fmt)


def _snapshot(store: AgoraStore) -> set[str]:
    return {str(q) for q in store.ox}


def test_each_source_is_its_own_named_graph_under_a_stable_public_iri(store):
    load_documents(store, [_doc("<http://ex/a> <http://ex/p> 1 .")], name="one", validate=False)
    load_documents(store, [_doc("<http://ex/b> <http://ex/p> 2 .")], name="two", validate=False)
    one = store.require("one")
    assert one.graph_iri == f"{store.settings.base_url}/graph/one"
    assert store.get(one.graph_iri) is one  # the public IRI resolves like the name
    rows = list(run_query(store, f"SELECT ?s WHERE {{ GRAPH <{one.graph_iri}> {{ ?s ?p ?o }} }}").rows)
    assert [r[0].value for r in rows] == ["http://ex/a"]
    rows = list(run_query(store, "SELECT ?g WHERE { GRAPH ?g { <http://ex/b> ?p ?o } }").rows)
    assert [r[0].value for r in rows] == [store.require("two").graph_iri]
    # The default graph is the union of the sources, and internal graphs never show.
    rows = list(run_query(store, "SELECT ?s WHERE { ?s <http://ex/p> ?o } ORDER BY ?s").rows)
    assert [r[0].value for r in rows] == ["http://ex/a", "http://ex/b"]
    assert not list(run_query(store, f"SELECT * WHERE {{ GRAPH <{META_GRAPH.value}> {{ ?s ?p ?o }} }}").rows)


def test_provenance_is_recorded_per_source(store, tmp_path):
    f = tmp_path / "cph.ttl"
    f.write_text("<http://ex/a> <http://ex/p> 1 , 2 .")
    load_files(store, [f], name="cph", validate=False, user="alice")
    v = store.require("cph").current
    assert (v.triples, v.loaded_by, v.validation) == (2, "alice", "not validated")
    assert v.origin == str(f.resolve()) and v.checksum.startswith("sha256:") and v.loaded_at.endswith("Z")
    prov = store.ox.query(f"""ASK {{ GRAPH <{META_GRAPH.value}> {{
        ?v <http://www.w3.org/ns/prov#wasGeneratedBy> ?act ; <http://www.w3.org/ns/prov#wasAttributedTo> ?who .
        ?act a <http://www.w3.org/ns/prov#Activity> }} }}""")
    assert bool(prov)


def test_loading_an_existing_source_needs_replace(store):
    load_documents(store, [_doc("<http://ex/a> <http://ex/p> 1 .")], name="s", validate=False)
    before = _snapshot(store)
    with pytest.raises(SourceExists) as exc:
        load_documents(store, [_doc("<http://ex/a> <http://ex/p> 2 .")], name="s", validate=False)
    assert exc.value.exit_code == 2 and "--replace" in exc.value.message
    assert _snapshot(store) == before


def test_a_file_that_does_not_parse_leaves_the_store_as_it_was_and_says_where(store):
    load_documents(store, [_doc("<http://ex/a> <http://ex/p> 1 .")], name="s", validate=False)
    before = _snapshot(store)
    bad = "@prefix ex: <http://ex/> .\n" + "ex:x ex:p 1 .\n" * 1000 + "ex:y ex:p \"unterminated .\n"
    with pytest.raises(RDFSyntaxError) as exc:
        load_documents(store, [_doc(bad, "bad.ttl")], name="s", replace=True, validate=False)
    assert exc.value.details["line"] == 1002
    assert "bad.ttl" in exc.value.message and "line 1002" in exc.value.message
    assert _snapshot(store) == before
    assert store.require("s").current.number == 1


def test_replace_swaps_versions_and_keeps_history(store):
    load_documents(store, [_doc("<http://ex/a> <http://ex/p> 1 .")], name="s", validate=False)
    load_documents(store, [_doc("<http://ex/a> <http://ex/p> 2 .")], name="s", replace=True, validate=False)
    info = store.require("s")
    assert info.current.number == 2 and [h.number for h in info.history] == [1]
    rows = list(run_query(store, "SELECT ?o WHERE { <http://ex/a> <http://ex/p> ?o }").rows)
    assert [r[0].value for r in rows] == ["2"]  # the old version is not visible any more


def test_history_is_bounded(store):
    for i in range(6):
        load_documents(store, [_doc(f"<http://ex/a> <http://ex/p> {i} .")], name="s", replace=True, validate=False)
    info = store.require("s")
    assert len(info.history) == store.settings.history_versions
    physical = {g.value for g in store.ox.named_graphs() if g.value.startswith("urn:agora:g:s/")}
    assert physical == {f"urn:agora:g:s/{n}" for n in (6, 5, 4, 3)}


def test_delete_removes_graph_history_and_metadata(store):
    load_documents(store, [_doc("<http://ex/a> <http://ex/p> 1 .")], name="s", validate=False)
    load_documents(store, [_doc("<http://ex/a> <http://ex/p> 2 .")], name="s", replace=True, validate=False)
    delete_source(store, "s")
    assert store.get("s") is None
    assert not [g for g in store.ox.named_graphs() if ":s/" in g.value]
    assert not bool(store.ox.query(f'ASK {{ GRAPH <{META_GRAPH.value}> {{ ?x ?p "s" }} }}'))
    with pytest.raises(SourceNotFound):
        delete_source(store, "s")


def test_blank_nodes_of_different_files_never_merge(store):
    load_documents(store, [_doc("_:b1 <http://ex/p> \"1\" .", fmt=ox.RdfFormat.N_TRIPLES)], name="a", validate=False)
    load_documents(store, [_doc("_:b1 <http://ex/p> \"2\" .", fmt=ox.RdfFormat.N_TRIPLES)], name="b", validate=False)
    rows = list(run_query(store, "SELECT DISTINCT ?s WHERE { ?s <http://ex/p> ?o }").rows)
    assert len(rows) == 2


@pytest.mark.parametrize("suffix,text", [
    (".nt", "<http://ex/a> <http://ex/p> \"x\" ."),
    (".nq", "<http://ex/a> <http://ex/p> \"x\" <http://ex/g> ."),
    (".trig", "<http://ex/g> { <http://ex/a> <http://ex/p> \"x\" }"),
    (".rdf", '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://ex/">'
             '<rdf:Description rdf:about="http://ex/a"><ex:p>x</ex:p></rdf:Description></rdf:RDF>'),
    (".jsonld", '{"@id": "http://ex/a", "http://ex/p": "x"}'),
    (".ttl.gz", None),
])
def test_formats_by_extension_including_gzip(store, tmp_path, suffix, text):
    f = tmp_path / f"in{suffix}"
    if text is None:
        f.write_bytes(gzip.compress(b'<http://ex/a> <http://ex/p> "x" .'))
    else:
        f.write_text(text)
    load_files(store, [f], name="f", validate=False)
    rows = list(run_query(store, "SELECT ?o WHERE { <http://ex/a> <http://ex/p> ?o }").rows)
    assert [r[0].value for r in rows] == ["x"]


def test_json_ld_remote_contexts_are_never_fetched(store):
    doc = RDFInput.from_bytes(b'{"@context": "http://127.0.0.1:9/ctx.jsonld", "@id": "http://ex/a", "name": "x"}',
                              name="remote.jsonld", fmt=ox.RdfFormat.JSON_LD)
    with pytest.raises(RDFSyntaxError, match="never fetched"):
        load_documents(store, [doc], name="r", validate=False)


def test_xml_entity_tricks_are_refused(store):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>')
    xxe = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
           b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>')
    for data in (bomb, xxe):
        with pytest.raises(Exception, match="entit"):
            load_documents(store, [RDFInput.from_bytes(data, name="x.rdf", fmt=ox.RdfFormat.RDF_XML)],
                           name="x", validate=False)
    assert store.get("x") is None


def test_debris_of_an_interrupted_load_is_collected_on_open(settings):
    s = AgoraStore(settings)
    load_documents(s, [_doc("<http://ex/a> <http://ex/p> 1 .")], name="s", validate=False)
    s.ox.add(ox.Quad(ox.NamedNode("http://ex/x"), ox.NamedNode("http://ex/p"), ox.Literal("half"),
                     ox.NamedNode("urn:agora:g:s/2")))
    s.close()
    s = AgoraStore(settings)
    assert not s.ox.contains_named_graph(ox.NamedNode("urn:agora:g:s/2"))
    assert s.require("s").current.number == 1
    s.close()


def test_background_vocabularies_are_installed_as_system_sources(store):
    names = {s.name: s for s in store.sources()}
    assert names["agora-ontology"].system and names["eu-vocabularies"].system
    assert store.is_empty()
