"""A remote SPARQL 1.1 store (Query + Update + Graph Store Protocol) behind pyoxigraph's interface.

Three things make a remote store differ from the embedded one, and this module absorbs them:

- Blank nodes. SPARQL offers no way to name a stored blank node in a later request, yet Agora
  reads a node's description in one request and its fidelity records in another. So blank nodes
  are skolemised on the way in (`_:x` becomes `<urn:agora:genid:x>`, the shape RDF 1.1 §3.5
  describes) and turned back into blank nodes in every answer; `isBlank`/`isIRI`/`isURI` in query
  text are rewritten to match, so queries see blank nodes where they were loaded.
- Literal canonicalisation. Each store rewrites typed literals its own way (Virtuoso turns
  "012"^^xsd:integer into 12 and lower-cases language tags). The store's canonicaliser
  (`fidelity.Canonicaliser` with this store as its oracle) finds out what it keeps by writing the
  literals to a scratch graph and reading them back, so fidelity records key on exactly what the
  store returns. Datatypes the store cannot hold at all are stored in a kept form (`kept_datatypes`).
- Graphs. Agora writes and reads only named graphs under `urn:agora:`; queries name their
  dataset, and the store's own default graph (on Virtuoso the union of all graphs) is never used
  for Agora's data.

Answers are parsed by pyoxigraph (SPARQL XML results, N-Triples), so callers get the same
`QuerySolutions`, `QueryBoolean` and term classes as from the embedded store.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pyoxigraph as ox

from .. import deadline
from ..errors import BadInput, QueryTimeout, StoreUnavailable
from ..fidelity import Canonicaliser
from ..namespaces import XSD

log = logging.getLogger("agora.backends.remote")

SKOLEM_PREFIX = "urn:agora:genid:"
DEFAULT_GRAPH = ox.NamedNode("urn:agora:default-graph")
"""Stands for the store's default graph: Agora never writes to it, so it is empty."""
BATCH_TRIPLES = 20_000
"""Triples per Graph Store Protocol POST: big enough to amortise a request, small enough for any store."""
XML_RESULTS = "application/sparql-results+xml"
_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)
_XML_SKOLEM = re.compile(rb"<uri>urn:agora:genid:([^<]*)</uri>")
_PROBE = "urn:agora:probe:"
"""Scratch graphs and subjects of the round trips that find out what the store keeps."""
KEPT_PREFIX = "urn:agora:kept:"
"""Literals of a datatype the store cannot hold as itself are stored as `"lex"^^<urn:agora:kept:DT>`."""
_SAMPLES = {
    "boolean": "true", "float": "1.5", "double": "1.5E0", "decimal": "1.5", "integer": "12",
    "nonPositiveInteger": "-3", "negativeInteger": "-3", "long": "12", "int": "12", "short": "12", "byte": "12",
    "nonNegativeInteger": "12", "unsignedLong": "12", "unsignedInt": "12", "unsignedShort": "12",
    "unsignedByte": "12", "positiveInteger": "12", "dateTime": "2024-01-05T10:00:00Z",
    "dateTimeStamp": "2024-01-05T10:00:00Z", "time": "10:00:00", "date": "2024-01-05", "gYearMonth": "2024-01",
    "gYear": "2024", "gMonthDay": "--01-05", "gDay": "---05", "gMonth": "--01", "duration": "P30D",
    "yearMonthDuration": "P1Y2M", "dayTimeDuration": "P1DT2H",
}
"""One ordinary value per XSD datatype the store may interpret, to find out which ones it keeps."""
_NT_SKOLEM = re.compile(rb"<urn:agora:genid:([^>]*)>")
_TERM_TESTS = re.compile(r"\b(isBlank|isIRI|isURI)\s*\(", re.IGNORECASE)
_SYNTAX_HINT = re.compile(r"(syntax|parse|lexical|SP030|SP031|SQ0)", re.IGNORECASE)
_LINE = re.compile(r"line (\d+)", re.IGNORECASE)
_KNOWN_FAILURES = (
    (re.compile(r"out of seg data", re.IGNORECASE),
     "Virtuoso's column-store index is damaged and later inserts will fail too (a Virtuoso 7 bug, "
     "openlink/virtuoso-opensource#571; docs/virtuoso-notes.md says what provokes it): restore the store from "
     "your backup or reload the sources into a fresh database"),
)
"""Server errors whose cause is known, with what the operator can do: a raw 500 page alone does not say."""


@dataclass(frozen=True)
class StoreURL:
    """Where the store answers: `sparql+http://host:port/path[?gsp=/path&update=/path]`."""

    query: str
    update: str
    gsp: str | None


def parse_store_url(url: str) -> StoreURL:
    """The endpoints of a `sparql+http(s)://` store URL (credentials come from the environment)."""
    parts = urlsplit(url)
    if parts.scheme not in ("sparql+http", "sparql+https"):
        raise BadInput(f"unsupported store URL {url!r}: use sparql+http://host:port/path (a SPARQL 1.1 endpoint)")
    if parts.username or parts.password:
        raise BadInput("put store credentials in AGORA_STORE_USER / AGORA_STORE_PASSWORD, not in the URL")
    scheme = parts.scheme.split("+", 1)[1]
    options = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
    unknown = set(options) - {"gsp", "update"}
    if unknown:
        raise BadInput(f"unknown store URL option(s): {', '.join(sorted(unknown))} (known: gsp, update)")

    def absolute(path: str | None) -> str | None:
        return None if not path else urlunsplit((scheme, parts.netloc, path, "", ""))

    query = urlunsplit((scheme, parts.netloc, parts.path or "/sparql", "", ""))
    return StoreURL(query=query, update=absolute(options.get("update")) or query, gsp=absolute(options.get("gsp")))


def _auth_from_env() -> httpx.Auth | None:
    user, password = os.environ.get("AGORA_STORE_USER"), os.environ.get("AGORA_STORE_PASSWORD")
    if not user:
        return None
    scheme = os.environ.get("AGORA_STORE_AUTH", "digest").lower()
    if scheme == "basic":
        return httpx.BasicAuth(user, password or "")
    return httpx.DigestAuth(user, password or "")


NATIVE_BNODE = "virtuoso_"
"""Virtuoso names its own blank nodes `nodeID://b10001` (not a valid blank node label) and accepts
that name as an IRI in later queries: answers carry them as `_:virtuoso_b10001`, and `term` turns
them back. Agora's own blank nodes are skolemised and never look like this."""


def term(t: Any) -> str:
    """A term in SPARQL/N-Triples syntax, with blank nodes in their skolem (or the store's own) form."""
    if isinstance(t, ox.BlankNode):
        if t.value.startswith(NATIVE_BNODE):
            return f"<nodeID://{t.value.removeprefix(NATIVE_BNODE)}>"
        return f"<{SKOLEM_PREFIX}{t.value}>"
    if isinstance(t, ox.DefaultGraph):
        return f"<{DEFAULT_GRAPH.value}>"
    return str(t)


def _skolem(t: Any) -> Any:
    return ox.NamedNode(SKOLEM_PREFIX + t.value) if isinstance(t, ox.BlankNode) else t


def _kept_types_in_ntriples(data: bytes, kept: frozenset[str]) -> bytes:
    """Literals of kept datatypes in N-Triples (always written `^^<IRI>`) in their kept form."""
    for dt in kept:
        data = data.replace(f"^^<{dt}>".encode(), f"^^<{KEPT_PREFIX}{dt}>".encode())
    return data


def _kept_types_in_text(text: str, kept: frozenset[str]) -> str:
    """Typed literals of kept datatypes in query or update text (`^^<...#duration>`, `^^xsd:duration`)."""
    if not kept or "^^" not in text:
        return text
    for dt in kept:
        local = dt.removeprefix(XSD)
        text = text.replace(f"^^<{dt}>", f"^^<{KEPT_PREFIX}{dt}>")
        text = re.sub(rf"\^\^xsd:{local}\b", f"^^<{KEPT_PREFIX}{dt}>", text)
    return text


def _graph_iri(g: Any) -> str:
    if isinstance(g, ox.DefaultGraph) or g is None:
        return DEFAULT_GRAPH.value
    if isinstance(g, ox.BlankNode):
        return SKOLEM_PREFIX + g.value
    return g.value


def rewrite_term_tests(text: str) -> str:
    """`isBlank(x)` also holds for skolemised nodes, and `isIRI(x)`/`isURI(x)` no longer do.

    A call is rewritten only outside strings, IRIs and comments; its argument is found by
    matching parentheses, so nested expressions work."""
    if not _TERM_TESTS.search(text):
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        j = _not_code(text, i)
        if j is not None:
            out.append(text[i:j])
            i = j
            continue
        m = _TERM_TESTS.match(text, i)
        if m and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_:")):
            close = _matching_paren(text, m.end() - 1)
            arg = rewrite_term_tests(text[m.end():close])
            fn = m.group(1).lower()
            test = f'STRSTARTS(STR({arg}), "{SKOLEM_PREFIX}")'
            if fn == "isblank":
                out.append(f"(isBLANK({arg}) || (isIRI({arg}) && {test}))")
            else:
                out.append(f"(isIRI({arg}) && !{test})")
            i = close + 1
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


def _not_code(text: str, i: int) -> int | None:
    """Where a string, an IRI or a comment starting at `i` ends (None if none starts there): text
    that query rewriting must leave alone."""
    c = text[i]
    if c in "\"'":
        return _end_of_string(text, i)
    if c == "<" and _looks_like_iri(text, i):
        return text.index(">", i) + 1
    if c == "#":
        j = text.find("\n", i)
        return len(text) if j < 0 else j
    return None


def _end_of_string(text: str, i: int) -> int:
    quote = text[i]
    if text.startswith(quote * 3, i):
        end = text.find(quote * 3, i + 3)
        return len(text) if end < 0 else end + 3
    j = i + 1
    while j < len(text):
        if text[j] == "\\":
            j += 2
            continue
        if text[j] == quote:
            return j + 1
        j += 1
    return len(text)


def _looks_like_iri(text: str, i: int) -> bool:
    end = text.find(">", i)
    return end > 0 and not any(ch in text[i + 1:end] for ch in ' \n\t"{}|^`\\<=')


def _matching_paren(text: str, open_at: int) -> int:
    depth = 0
    i = open_at
    while i < len(text):
        c = text[i]
        if c in "\"'":
            i = _end_of_string(text, i)
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise BadInput("SPARQL syntax error: unbalanced parentheses")


def query_form(text: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first such keyword after the prologue."""
    stripped = re.sub(r"#[^\n]*|<[^<>\s]*>", " ", text)
    m = _FORM.search(stripped)
    return m.group(1).upper() if m else "SELECT"


class SparqlStore:
    """The storage operations Agora needs (kg/backends/base.py), against a remote SPARQL 1.1 store."""

    remote = True

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        self.url = parse_store_url(url)
        self.timeout = timeout
        self._client = httpx.Client(auth=_auth_from_env(), timeout=httpx.Timeout(timeout, connect=5.0),
                                    limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
                                    follow_redirects=False, trust_env=False)
        self._probe_lock = threading.RLock()
        self._canonicaliser = Canonicaliser(oracle=self.stored_forms)
        """One per store, for its lifetime: it remembers what the store keeps for each literal."""
        self._kept: frozenset[str] | None = None

    def __repr__(self) -> str:
        return f"SparqlStore({self.url.query!r})"

    # -- protocol plumbing --------------------------------------------------------------------
    def _timeout(self) -> float:
        left = deadline.remaining()
        return self.timeout if left is None else max(0.05, min(self.timeout, left))

    def _post(self, url: str, *, data: Any = None, content: bytes | None = None, params: Any = None,
              headers: dict[str, str] | None = None, what: str = "request") -> httpx.Response:
        deadline.check()
        try:
            response = self._client.post(url, data=data, content=content, params=params, headers=headers,
                                         timeout=self._timeout())
        except httpx.TimeoutException as exc:
            raise QueryTimeout(f"the remote store did not answer the {what} in time ({exc})") from None
        except httpx.HTTPError as exc:
            raise StoreUnavailable(f"the remote store at {self.url.query} is unreachable: {exc}") from None
        if response.status_code >= 400:
            self._fail(response, what)
        return response

    def _fail(self, response: httpx.Response, what: str) -> None:
        body = response.text.strip()[:2000]
        if response.status_code in (401, 403):
            raise StoreUnavailable(f"the remote store refused the {what} (HTTP {response.status_code}): check "
                                   f"AGORA_STORE_USER / AGORA_STORE_PASSWORD and the endpoint's rights: {body}")
        syntax = _SYNTAX_HINT.search(body)
        if response.status_code >= 500 and not syntax:
            advice = next((f"{text}. " for pattern, text in _KNOWN_FAILURES if pattern.search(body)), "")
            raise StoreUnavailable(f"the remote store failed the {what} (HTTP {response.status_code}): {advice}"
                                   f"{body}")
        if syntax:
            err = SyntaxError(body)
            m = _LINE.search(body)
            err.lineno = int(m.group(1)) if m else None
            raise err
        raise ValueError(body or f"HTTP {response.status_code}")

    # -- queries ------------------------------------------------------------------------------
    def query(self, query: str, *, base_iri: str | None = None, prefixes: dict[str, str] | None = None,
              use_default_graph_as_union: bool = False, default_graph: Any = None,
              named_graphs: Any = None) -> Any:
        """Evaluate on the remote store; the dataset arguments become the protocol's graph parameters."""
        text = _kept_types_in_text(rewrite_term_tests(query), self.kept_datatypes())
        if prefixes:
            text = "".join(f"PREFIX {k}: <{v}>\n" for k, v in prefixes.items()) + text
        if base_iri:
            text = f"BASE <{base_iri}>\n{text}"
        form = query_form(query)
        params: dict[str, list[str]] = {"query": [text]}
        # Without dataset arguments the store's own dataset applies (on Virtuoso the default graph is
        # the union of all graphs, where Oxigraph's is empty; Agora's own queries name their graphs).
        if default_graph is not None:
            graphs = default_graph if isinstance(default_graph, list | tuple) else [default_graph]
            params["default-graph-uri"] = [_graph_iri(g) for g in graphs] or [DEFAULT_GRAPH.value]
        if named_graphs is not None:
            params["named-graph-uri"] = [_graph_iri(g) for g in named_graphs] or [DEFAULT_GRAPH.value]
        graph_form = form in ("CONSTRUCT", "DESCRIBE")
        accept = "application/n-triples, text/plain;q=0.9" if graph_form else XML_RESULTS
        response = self._post(self.url.query, data=params, headers={"Accept": accept}, what="query")
        body = response.content
        if graph_form:
            body = _NT_SKOLEM.sub(rb"_:\1", body).replace(b"^^<" + KEPT_PREFIX.encode(), b"^^<")
            return _triples(body, response.headers.get("content-type", ""))
        result = _solutions(body)
        cap = response.headers.get("x-sparql-maxrows")
        if cap is None or form != "SELECT":
            return result
        # The store cut the answer at its row limit (Virtuoso: 1,048,576 rows, whatever its
        # configuration says), with a 200. Large reads (a whole source graph) are paged instead.
        if _SOLUTION_MODIFIER_AT_END.search(query):
            raise StoreUnavailable(f"the remote store truncated the answer at {cap} rows (a query with its own "
                                   "LIMIT/OFFSET cannot be paged); raise the store's result-size limit")
        return PagedSolutions(self, form_data=params, text=text, page=max(1, int(cap) - 1),
                              variables=result.variables)

    def _page(self, form_data: dict[str, list[str]], text: str, limit: int, offset: int) -> ox.QuerySolutions:
        data = {**form_data, "query": [f"{text}\nLIMIT {limit} OFFSET {offset}"]}
        response = self._post(self.url.query, data=data, headers={"Accept": XML_RESULTS}, what="query")
        if response.headers.get("x-sparql-maxrows") is not None:
            raise StoreUnavailable("the remote store truncated a page of a paged answer")
        return _solutions(response.content)

    def update(self, update: str, *, base_iri: str | None = None) -> None:
        text = _kept_types_in_text(rewrite_term_tests(update), self.kept_datatypes())
        text = _skolemise_labels(text)
        if base_iri:
            text = f"BASE <{base_iri}>\n{text}"
        self._post(self.url.update, data={"update": text}, what="update")

    def quads_for_pattern(self, subject: Any, predicate: Any, object: Any,  # noqa: A002 - pyoxigraph's name
                          graph_name: Any = None) -> Iterator[ox.Quad]:
        s = term(subject) if subject is not None else "?s"
        p = term(predicate) if predicate is not None else "?p"
        o = term(object) if object is not None else "?o"
        g = term(graph_name) if graph_name is not None else "?g"
        text = f"SELECT ?s ?p ?o ?g WHERE {{ GRAPH {g} {{ {s} {p} {o} }} }}"
        if graph_name is None:  # Agora's graphs only: the store may hold other applications' data
            text = text[:-1] + ' FILTER(STRSTARTS(STR(?g), "urn:agora:")) }'
        for sol in self.query(text):
            yield ox.Quad(subject if subject is not None else sol["s"],
                          predicate if predicate is not None else sol["p"],
                          object if object is not None else sol["o"],
                          graph_name if graph_name is not None else sol["g"])

    def __iter__(self) -> Iterator[ox.Quad]:
        return self.quads_for_pattern(None, None, None, None)

    def named_graphs(self) -> Iterator[ox.NamedNode | ox.BlankNode]:
        for sol in self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), "
                              '"urn:agora:")) }'):
            yield sol["g"]

    def contains_named_graph(self, graph_name: Any) -> bool:
        return bool(self.query(f"ASK {{ GRAPH {term(graph_name)} {{ ?s ?p ?o }} }}"))

    # -- writes -------------------------------------------------------------------------------
    def add_graph(self, graph_name: Any) -> None:
        """SPARQL stores need not keep empty graphs; Agora's registry records empty sources itself."""
        self.update(f"CREATE SILENT GRAPH {term(graph_name)}")

    def clear_graph(self, graph_name: Any) -> None:
        self.update(f"CLEAR SILENT GRAPH {term(graph_name)}")

    def remove_graph(self, graph_name: Any) -> None:
        self.update(f"DROP SILENT GRAPH {term(graph_name)}")

    def add(self, quad: ox.Quad) -> None:
        self.bulk_extend([quad])

    def remove(self, quad: ox.Quad) -> None:
        self.update(f"DELETE DATA {{ GRAPH {term(quad.graph_name)} {{ {term(quad.subject)} {term(quad.predicate)} "
                    f"{term(quad.object)} }} }}")

    def bulk_extend(self, quads: Iterable[ox.Quad]) -> None:
        """Stream quads to the store, a batch per graph per request (not atomic: Agora writes drafts)."""
        batches: dict[str, list[ox.Triple]] = {}
        pending = 0
        for q in quads:
            s, o = q.subject, q.object
            if isinstance(s, ox.BlankNode) or isinstance(o, ox.BlankNode):
                s, o = _skolem(s), _skolem(o)
            batches.setdefault(_graph_iri(q.graph_name), []).append(ox.Triple(s, q.predicate, o))
            pending += 1
            if pending >= BATCH_TRIPLES:
                self._flush_batches(batches)
                batches, pending = {}, 0
        self._flush_batches(batches)

    def _flush_batches(self, batches: dict[str, list[ox.Triple]]) -> None:
        for graph, triples in batches.items():
            if triples:
                self._post_triples(graph, ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))

    def _post_triples(self, graph: str, ntriples: bytes) -> None:
        """Every write of triples goes through here, so this is where kept datatypes take their kept form."""
        ntriples = _kept_types_in_ntriples(ntriples, self.kept_datatypes())
        if self.url.gsp is not None:
            # Sent as Turtle with a leading @prefix line: Virtuoso sniffs the body and refuses an
            # N-Triples line of 64 kB or more unless the body looks like Turtle from the start.
            self._post(self.url.gsp, params={"graph": graph}, content=b"@prefix agora: <urn:agora:> .\n" + ntriples,
                       headers={"Content-Type": "text/turtle"}, what="graph upload")
        else:
            self._post(self.url.update, data={"update": f"INSERT DATA {{ GRAPH <{graph}> {{\n"
                                              f"{ntriples.decode()}\n}} }}"}, what="update")

    def bulk_load(self, input: Any = None, format: Any = None, *, path: Any = None,  # noqa: A002
                  base_iri: str | None = None, to_graph: Any = None, lenient: bool = False) -> None:
        kwargs: dict[str, Any] = {"format": format, "base_iri": base_iri, "lenient": lenient}
        if to_graph is not None:
            kwargs["default_graph"] = to_graph if not isinstance(to_graph, ox.DefaultGraph) else None
        if path is not None:
            quads = ox.parse(path=str(path), **{k: v for k, v in kwargs.items() if v is not None})
        else:
            quads = ox.parse(input=input, **{k: v for k, v in kwargs.items() if v is not None})
        self.bulk_extend(quads)

    def skolemise_blank_nodes(self, graph: Any) -> None:
        """Give the blank nodes a SPARQL Update made in `graph` their skolem IRIs, like loaded ones.

        An INSERT template's `_:b` or `[]` makes a node of the store's own, which no later request
        can name. `STR()` of a blank node is an error in SPARQL 1.1 but gives a stable label on
        Virtuoso (`nodeID://b10001`); where it is an error, COALESCE keeps the node as it is."""
        g = term(graph)
        label = f'IRI(CONCAT("{SKOLEM_PREFIX}v", MD5(STR(?%s))))'
        self._post(self.url.update, what="update", data={"update": f"""
            DELETE {{ GRAPH {g} {{ ?s ?p ?o }} }} INSERT {{ GRAPH {g} {{ ?s2 ?p ?o2 }} }}
            WHERE {{ GRAPH {g} {{ ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) }}
                     BIND(IF(isBlank(?s), COALESCE({label % "s"}, ?s), ?s) AS ?s2)
                     BIND(IF(isBlank(?o), COALESCE({label % "o"}, ?o), ?o) AS ?o2) }}"""})

    def flush(self) -> None:
        """Nothing is buffered here: every write has been sent when its call returns."""

    def backup(self, target_directory: str) -> None:
        raise StoreUnavailable("backups of a remote store are made by its operator (Agora cannot snapshot it)")

    def close(self) -> None:
        self._client.close()

    def copy_graphs(self, graphs: Iterable[Any], into: ox.Store) -> None:
        """Copy these graphs, as stored, into an in-memory Oxigraph store (one query per graph)."""
        for g in graphs:
            into.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, g)
                             for q in self.quads_for_pattern(None, None, None, g))

    # -- literal canonicalisation -------------------------------------------------------------
    def canonicaliser(self) -> Canonicaliser:
        """The store's canonicaliser (fidelity.py), with the store itself as the oracle."""
        return self._canonicaliser

    def stored_forms(self, literals: list[ox.Literal]) -> list[ox.Literal]:
        """What the store keeps for each literal (the canonicaliser's oracle)."""
        with self._round_trip(literals) as (_graph, back):
            missing = [lit for i, lit in enumerate(literals) if i not in back]
            if missing:
                raise StoreUnavailable(f"the remote store did not keep {len(missing)} literal(s), e.g. {missing[0]}")
            return [back[i] for i in range(len(literals))]

    def kept_datatypes(self) -> frozenset[str]:
        """The XSD datatypes this store cannot hold as themselves, found once per store.

        A sample literal of each is written to a scratch graph, read back, and looked up again by
        the term that came back. A datatype whose literal cannot be found again (Virtuoso 7 turns
        "P30D"^^xsd:duration into a number of seconds that matches nothing, and refuses its own
        answer for xsd:time) is stored in a kept form the store leaves alone; answers give the
        literal back as loaded. SPARQL on such literals then compares them as terms, not values."""
        if self._kept is not None:
            return self._kept
        with self._probe_lock:
            if self._kept is not None:
                return self._kept
            self._kept = frozenset()  # while probing, the samples are written as they are
            names = list(_SAMPLES)
            samples = [ox.Literal(_SAMPLES[n], datatype=ox.NamedNode(XSD + n)) for n in names]
            found: set[int] = set()
            with self._round_trip(samples, tolerant=True) as (graph, back):
                for i, stored in back.items():  # one by one: the store may refuse its own answer
                    with contextlib.suppress(StoreUnavailable, SyntaxError, ValueError):
                        if self.query(f"ASK {{ GRAPH <{graph}> {{ <{_PROBE}{i}> <{_PROBE}p> "
                                      f"{term(stored)} }} }}"):
                            found.add(i)
            self._kept = frozenset(XSD + n for i, n in enumerate(names) if i not in found)
            if self._kept:
                log.info("remote store: literals of %s are stored in a kept form (the store cannot match them)",
                         ", ".join(sorted(d.removeprefix(XSD) for d in self._kept)))
            return self._kept

    @contextlib.contextmanager
    def _round_trip(self, literals: list[ox.Literal], *,
                    tolerant: bool = False) -> Iterator[tuple[str, dict[int, Any]]]:
        """Write the literals to a scratch graph and yield its IRI and what the store gives back, by
        position; the graph is dropped after. `tolerant`: a batch the store
        refuses is retried one literal at a time, and the refused ones are left out."""
        with self._probe_lock:
            scratch = f"{_PROBE}{secrets.token_hex(8)}"
            p = ox.NamedNode(_PROBE + "p")
            try:
                for start in range(0, len(literals), BATCH_TRIPLES):
                    triples = [ox.Triple(ox.NamedNode(f"{_PROBE}{start + i}"), p, lit)
                               for i, lit in enumerate(literals[start:start + BATCH_TRIPLES])]
                    try:
                        self._post_triples(scratch, ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))
                    except (StoreUnavailable, SyntaxError, ValueError):
                        if not tolerant:
                            raise
                        for t in triples:
                            with contextlib.suppress(StoreUnavailable, SyntaxError, ValueError):
                                self._post_triples(scratch, ox.serialize([t], format=ox.RdfFormat.N_TRIPLES))
                yield scratch, {int(sol["s"].value.removeprefix(_PROBE)): sol["o"] for sol in self.query(
                    f"SELECT ?s ?o WHERE {{ GRAPH <{scratch}> {{ ?s ?p ?o }} }}")}
            finally:
                self.update(f"DROP SILENT GRAPH <{scratch}>")


_SOLUTION_MODIFIER_AT_END = re.compile(r"\b(LIMIT|OFFSET)\s+\d+\s*(\b(LIMIT|OFFSET)\s+\d+\s*)?$", re.IGNORECASE)


def _solutions(body: bytes) -> Any:
    body = _XML_SKOLEM.sub(rb"<bnode>\1</bnode>", body).replace(b"<bnode>nodeID://", b"<bnode>" + NATIVE_BNODE.encode())
    body = body.replace(b'datatype="' + KEPT_PREFIX.encode(), b'datatype="')
    return ox.parse_query_results(body, format=ox.QueryResultsFormat.XML)


class PagedSolutions:
    """SELECT solutions read page by page (LIMIT/OFFSET) because the store caps the rows of one answer.

    The pages come from separate requests without ORDER BY (sorting a whole graph is what makes
    such reads slow); the store answers them from one unchanged graph, and Agora never changes a
    committed version graph, so the pages neither overlap nor miss rows."""

    def __init__(self, store: SparqlStore, *, form_data: dict[str, list[str]], text: str, page: int,
                 variables: list[ox.Variable]) -> None:
        self._store = store
        self._form = form_data
        self._text = text
        self._page = page
        self.variables = variables

    def __iter__(self) -> Iterator[Any]:
        offset = 0
        while True:
            n = 0
            for sol in self._store._page(self._form, self._text, self._page, offset):
                n += 1
                yield sol
            if n < self._page:
                return
            offset += self._page


def _triples(body: bytes, content_type: str) -> Iterator[ox.Quad]:
    fmt = ox.RdfFormat.TURTLE if "turtle" in content_type else ox.RdfFormat.N_TRIPLES
    return iter(ox.parse(input=body, format=fmt))


_LABEL = re.compile(r"(?<![\w:<\"'])_:([A-Za-z0-9_][A-Za-z0-9_.-]*)")


def _skolemise_labels(text: str) -> str:
    """Blank-node labels in DATA blocks name stored nodes: write them in their skolem form.

    Only `INSERT DATA` / `DELETE DATA` requests are touched (Agora's own registry and provenance
    writes); in templates a label means a fresh node per solution, which a remote store makes itself."""
    if "_:" not in text or not re.search(r"\b(INSERT|DELETE)\s+DATA\b", text, re.IGNORECASE):
        return text
    if re.search(r"\bWHERE\b", text, re.IGNORECASE):
        return text
    out: list[str] = []
    code_from = i = 0
    while i < len(text):
        j = _not_code(text, i)
        if j is None:
            i += 1
            continue
        out.append(_LABEL.sub(lambda m: f"<{SKOLEM_PREFIX}{m.group(1)}>", text[code_from:i]))
        out.append(text[i:j])
        code_from = i = j
    out.append(_LABEL.sub(lambda m: f"<{SKOLEM_PREFIX}{m.group(1)}>", text[code_from:]))
    return "".join(out)
