"""Synthetic DCAT-AP 3 catalog generator shared by every Agora benchmark.

Benchmarks need catalogs far larger than the demo data, shaped like the ones Agora is built for:
smart-city datasets published by many municipalities, utilities and transit operators, with
multilingual titles, EU controlled vocabularies, ODRL policies, and a known share of broken
records so a validator's recall can be checked. This module writes such a catalog.

Design choices, and why:

* Output is built as N-Triples strings, never as rdflib/pyoxigraph objects: object creation
  would dominate the run time and memory, and the file is what is being benchmarked anyway.
  100 000 datasets (about 3 million triples) take about five seconds as N-Triples.
* The output is a pure function of the arguments (byte for byte). Dataset ``i`` only depends on
  the seed and on the datasets before it, so a 1 000-dataset catalog is the start of the
  100 000-dataset one with the same seed (apart from the catalog description and which records
  are broken). Defects come from a separate random stream, so changing ``invalid_share`` never
  changes the content of valid records.
* Shared resources (organisations, contact points, cities, policies) are written once, the
  first time a dataset refers to them: small catalogs stay small and every IRI a dataset uses
  resolves inside the file.
* Deliberate defects are listed in ``<out>.invalid.json`` ({dataset IRI: [defect, ...]}) so
  tests can assert that the validator reports exactly these datasets.

Usage::

    python bench/generate.py --datasets 100000 --invalid 0.05 --seed 1 --out /tmp/cat-100k.nt
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TextIO

GENERATOR_VERSION = 2
"""Bump whenever the output for given arguments changes, so cached catalogs are regenerated."""

FORMATS = ("nt", "ttl", "nq")
DEFAULT_POLICIES = 1000
DEFAULT_ORGANISATIONS = 500

BASE = "https://bench.agora.example/"
GRAPH = f"<{BASE}graph/catalog>"
"""Named graph used for every quad of the N-Quads output."""

# --- vocabularies -------------------------------------------------------------------------------

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ODRL = "http://www.w3.org/ns/odrl/2/"
VCARD = "http://www.w3.org/2006/vcard/ns#"
GSP = "http://www.opengis.net/ont/geosparql#"
AGORA = "https://w3id.org/agora/ns#"
SECTOR = "https://w3id.org/agora/sector/"
PURPOSE = "https://w3id.org/agora/purpose/"
EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"
ADMS_PT = "http://purl.org/adms/publishertype/"

PREFIXES: dict[str, str] = {
    "rdf": RDF, "xsd": XSD, "dcat": DCAT, "dct": DCT, "foaf": FOAF, "skos": SKOS, "odrl": ODRL,
    "vcard": VCARD, "gsp": GSP, "agora": AGORA, "sector": SECTOR, "purpose": PURPOSE,
    "theme": f"{EU}data-theme/", "filetype": f"{EU}file-type/", "licence": f"{EU}licence/",
    "country": f"{EU}country/", "pubtype": ADMS_PT,
    "ds": f"{BASE}ds/", "dist": f"{BASE}dist/", "org": f"{BASE}org/", "contact": f"{BASE}contact/",
    "city": f"{BASE}city/", "policy": f"{BASE}policy/",
}


def _iri(value: str) -> str:
    return f"<{value}>"


A = _iri(f"{RDF}type")
# Dataset / catalog properties
P_TITLE = _iri(f"{DCT}title")
P_DESCRIPTION = _iri(f"{DCT}description")
P_IDENTIFIER = _iri(f"{DCT}identifier")
P_KEYWORD = _iri(f"{DCAT}keyword")
P_THEME = _iri(f"{DCAT}theme")
P_SECTOR = _iri(f"{AGORA}sector")
P_PUBLISHER = _iri(f"{DCT}publisher")
P_SPATIAL = _iri(f"{DCT}spatial")
P_ISSUED = _iri(f"{DCT}issued")
P_MODIFIED = _iri(f"{DCT}modified")
P_TEMPORAL = _iri(f"{DCT}temporal")
P_START = _iri(f"{DCAT}startDate")
P_END = _iri(f"{DCAT}endDate")
P_CONTACT = _iri(f"{DCAT}contactPoint")
P_DISTRIBUTION = _iri(f"{DCAT}distribution")
P_HAS_POLICY = _iri(f"{ODRL}hasPolicy")
P_DATASET = _iri(f"{DCAT}dataset")
# Distribution
P_ACCESS_URL = _iri(f"{DCAT}accessURL")
P_DOWNLOAD_URL = _iri(f"{DCAT}downloadURL")
P_FORMAT = _iri(f"{DCT}format")
P_MEDIA_TYPE = _iri(f"{DCAT}mediaType")
P_LICENSE = _iri(f"{DCT}license")
P_BYTE_SIZE = _iri(f"{DCAT}byteSize")
# Agents, places, contact points
P_NAME = _iri(f"{FOAF}name")
P_DCT_TYPE = _iri(f"{DCT}type")
P_PREF_LABEL = _iri(f"{SKOS}prefLabel")
P_CENTROID = _iri(f"{DCAT}centroid")
P_COUNTRY = _iri(f"{AGORA}country")
P_FN = _iri(f"{VCARD}fn")
P_HAS_EMAIL = _iri(f"{VCARD}hasEmail")
# ODRL
P_UID = _iri(f"{ODRL}uid")
P_PERMISSION = _iri(f"{ODRL}permission")
P_PROHIBITION = _iri(f"{ODRL}prohibition")
P_ACTION = _iri(f"{ODRL}action")
P_CONSTRAINT = _iri(f"{ODRL}constraint")
P_LEFT = _iri(f"{ODRL}leftOperand")
P_OPERATOR = _iri(f"{ODRL}operator")
P_RIGHT = _iri(f"{ODRL}rightOperand")

C_CATALOG = _iri(f"{DCAT}Catalog")
C_DATASET = _iri(f"{DCAT}Dataset")
C_DISTRIBUTION = _iri(f"{DCAT}Distribution")
C_PERIOD = _iri(f"{DCT}PeriodOfTime")
C_LOCATION = _iri(f"{DCT}Location")
C_ORGANIZATION = _iri(f"{FOAF}Organization")
C_KIND = _iri(f"{VCARD}Kind")
C_SET = _iri(f"{ODRL}Set")
C_PERMISSION = _iri(f"{ODRL}Permission")
C_PROHIBITION = _iri(f"{ODRL}Prohibition")
C_CONSTRAINT = _iri(f"{ODRL}Constraint")

DT_DATE = f"^^<{XSD}date>"
DT_NNI = f"^^<{XSD}nonNegativeInteger>"
DT_STRING = f"^^<{XSD}string>"
DT_WKT = f"^^<{GSP}wktLiteral>"

ODRL_USE = _iri(f"{ODRL}use")
ODRL_DISTRIBUTE = _iri(f"{ODRL}distribute")
ODRL_PURPOSE = _iri(f"{ODRL}purpose")
ODRL_IS_A = _iri(f"{ODRL}isA")
PURPOSES = ("public-interest", "scientific-research", "urban-planning", "commercial")

LANGS = ("en", "da", "nl", "it", "de")


def _escape(text: str) -> str:
    """Escape for an N-Triples/Turtle string; our word lists are clean, so this is a safety net."""
    if "\\" in text or '"' in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return text


def _lit(text: str, lang: str) -> str:
    return f'"{_escape(text)}"@{lang}'


def _plain(text: str) -> str:
    return f'"{_escape(text)}"'


# --- world model: topics, cities, organisations, policies ---------------------------------------


@dataclass(frozen=True)
class Topic:
    """A kind of smart-city dataset: what it is called in each language and how it is classified."""

    code: str
    sector: str
    theme: str
    titles: dict[str, str]
    keywords: dict[str, tuple[str, ...]]


def _topic(code: str, sector: str, theme: str, titles: tuple[str, str, str, str, str],
           keywords: tuple[str, str, str, str, str]) -> Topic:
    """Compact constructor: five titles and five '|'-separated keyword lists, in LANGS order."""
    return Topic(code, sector, theme, dict(zip(LANGS, titles, strict=True)),
                 {lang: tuple(k.split("|")) for lang, k in zip(LANGS, keywords, strict=True)})


TOPICS: tuple[Topic, ...] = (
    _topic("traffic", "mobility", "TRAN",
           ("Traffic counts", "Trafiktælling", "Verkeersintensiteit", "Flussi di traffico", "Verkehrszählung"),
           ("traffic|vehicles|road sensors|congestion", "trafik|køretøjer|vejsensorer|trængsel",
            "verkeer|voertuigen|wegsensoren|files", "traffico|veicoli|sensori stradali|congestione",
            "Verkehr|Fahrzeuge|Verkehrssensoren|Stau")),
    _topic("bike", "mobility", "TRAN",
           ("Bicycle counts", "Cykeltælling", "Fietstellingen", "Conteggi delle biciclette",
            "Radverkehrszählung"),
           ("cycling|bicycles|counters", "cykling|cykler|tællere", "fietsen|fietsers|telpunten",
            "ciclismo|biciclette|contatori", "Radverkehr|Fahrräder|Zählstellen")),
    _topic("transit", "mobility", "TRAN",
           ("Public transport ridership", "Passagertal i kollektiv trafik",
            "Reizigersaantallen openbaar vervoer", "Passeggeri del trasporto pubblico",
            "Fahrgastzahlen im Nahverkehr"),
           ("public transport|bus|tram|ridership", "kollektiv trafik|bus|letbane|passagerer",
            "openbaar vervoer|bus|tram|reizigers", "trasporto pubblico|autobus|tram|passeggeri",
            "Nahverkehr|Bus|Straßenbahn|Fahrgäste")),
    _topic("ev-charging", "mobility", "TRAN",
           ("EV charging sessions", "Ladesessioner for elbiler", "Laadsessies elektrische auto's",
            "Sessioni di ricarica dei veicoli elettrici", "Ladevorgänge für Elektroautos"),
           ("electric vehicles|charging points|e-mobility", "elbiler|ladestandere|elektrisk mobilitet",
            "elektrische auto's|laadpalen|e-mobiliteit", "veicoli elettrici|colonnine|mobilità elettrica",
            "Elektroautos|Ladesäulen|Elektromobilität")),
    _topic("parking", "parking", "TRAN",
           ("Parking occupancy", "Parkeringsbelægning", "Parkeerbezetting", "Occupazione dei parcheggi",
            "Parkplatzbelegung"),
           ("parking|garages|occupancy|free spaces", "parkering|parkeringshuse|belægning|ledige pladser",
            "parkeren|parkeergarages|bezetting|vrije plaatsen",
            "parcheggi|autorimesse|occupazione|posti liberi",
            "Parken|Parkhäuser|Belegung|freie Stellplätze")),
    _topic("air", "air-quality", "ENVI",
           ("Air quality", "Luftkvalitet", "Luchtkwaliteit", "Qualità dell'aria", "Luftqualität"),
           ("air quality|NO2|PM10|PM2.5", "luftkvalitet|NO2|partikler|luftforurening",
            "luchtkwaliteit|stikstofdioxide|fijnstof|luchtvervuiling",
            "qualità dell'aria|biossido di azoto|polveri sottili|inquinamento",
            "Luftqualität|Stickstoffdioxid|Feinstaub|Luftverschmutzung")),
    _topic("noise", "noise", "ENVI",
           ("Noise levels", "Støjniveauer", "Geluidsniveaus", "Livelli di rumore", "Lärmpegel"),
           ("noise|decibel|noise map", "støj|decibel|støjkort", "geluid|decibel|geluidskaart",
            "rumore|decibel|mappa acustica", "Lärm|Dezibel|Lärmkarte")),
    _topic("heating", "heat", "ENER",
           ("District heating", "Fjernvarme", "Stadsverwarming", "Teleriscaldamento", "Fernwärme"),
           ("district heating|heat network|heat demand", "fjernvarme|varmenet|varmebehov",
            "stadsverwarming|warmtenet|warmtevraag", "teleriscaldamento|rete di calore|domanda termica",
            "Fernwärme|Wärmenetz|Wärmebedarf")),
    _topic("solar", "energy", "ENER",
           ("Solar potential", "Solcellepotentiale", "Zonnepotentieel", "Potenziale solare",
            "Solarpotenzial"),
           ("solar|photovoltaics|rooftops", "solceller|solenergi|tage", "zonnepanelen|zonne-energie|daken",
            "fotovoltaico|energia solare|tetti", "Photovoltaik|Solarenergie|Dachflächen")),
    _topic("electricity", "energy", "ENER",
           ("Electricity consumption", "Elforbrug", "Elektriciteitsverbruik", "Consumo di elettricità",
            "Stromverbrauch"),
           ("electricity|smart meters|load profile", "el|elmålere|forbrugsprofil",
            "elektriciteit|slimme meters|verbruiksprofiel",
            "elettricità|contatori intelligenti|profilo di carico",
            "Strom|intelligente Zähler|Lastprofil")),
    _topic("street-lighting", "energy", "ENER",
           ("Street lighting", "Gadebelysning", "Openbare verlichting", "Illuminazione pubblica",
            "Straßenbeleuchtung"),
           ("street lights|LED|lamp posts", "gadelys|LED|lygtepæle", "straatverlichting|LED|lichtmasten",
            "lampioni|LED|pali della luce", "Straßenlaternen|LED|Lichtmasten")),
    _topic("flood", "water", "ENVI",
           ("Flood levels", "Oversvømmelsesniveauer", "Hoogwaterstanden", "Livelli di inondazione",
            "Hochwasserpegel"),
           ("flooding|water level|climate adaptation", "oversvømmelse|vandstand|klimatilpasning",
            "overstroming|waterstand|klimaatadaptatie", "alluvione|livello dell'acqua|adattamento climatico",
            "Hochwasser|Pegelstand|Klimaanpassung")),
    _topic("water-use", "water", "ENVI",
           ("Water consumption", "Vandforbrug", "Waterverbruik", "Consumo idrico", "Wasserverbrauch"),
           ("drinking water|consumption|water meters", "drikkevand|forbrug|vandmålere",
            "drinkwater|verbruik|watermeters", "acqua potabile|consumo|contatori dell'acqua",
            "Trinkwasser|Verbrauch|Wasserzähler")),
    _topic("waste", "waste", "ENVI",
           ("Waste collection", "Affaldsindsamling", "Afvalinzameling", "Raccolta dei rifiuti",
            "Abfallsammlung"),
           ("waste|recycling|containers|collection routes", "affald|genbrug|containere|indsamlingsruter",
            "afval|recycling|containers|inzamelroutes", "rifiuti|riciclaggio|cassonetti|percorsi di raccolta",
            "Abfall|Recycling|Container|Sammelrouten")),
    _topic("energy-labels", "buildings", "ENER",
           ("Building energy labels", "Bygningers energimærker", "Energielabels van gebouwen",
            "Certificati energetici degli edifici", "Gebäudeenergieausweise"),
           ("buildings|energy performance|renovation", "bygninger|energimærke|renovering",
            "gebouwen|energieprestatie|renovatie", "edifici|prestazione energetica|ristrutturazione",
            "Gebäude|Energieeffizienz|Sanierung")),
    _topic("permits", "buildings", "GOVE",
           ("Building permits", "Byggetilladelser", "Omgevingsvergunningen", "Permessi di costruire",
            "Baugenehmigungen"),
           ("building permits|construction|planning", "byggetilladelser|byggeri|planlægning",
            "vergunningen|bouw|ruimtelijke ordening", "permessi|edilizia|pianificazione",
            "Baugenehmigungen|Bauvorhaben|Planung")),
    _topic("land-use", "buildings", "REGI",
           ("Land use plan", "Lokalplan", "Bestemmingsplan", "Piano regolatore", "Bebauungsplan"),
           ("zoning|land use|urban planning", "lokalplan|arealanvendelse|byplanlægning",
            "bestemmingsplan|grondgebruik|stedenbouw", "zonizzazione|uso del suolo|urbanistica",
            "Flächennutzung|Bebauungsplan|Stadtplanung")),
    _topic("footfall", "tourism", "ECON",
           ("Tourist footfall", "Turiststrømme", "Bezoekersaantallen toerisme", "Flussi turistici",
            "Besucherfrequenz Tourismus"),
           ("tourism|visitors|footfall|hotels", "turisme|besøgende|fodgængere|hoteller",
            "toerisme|bezoekers|passantentellingen|hotels", "turismo|visitatori|presenze|alberghi",
            "Tourismus|Besucher|Passantenfrequenz|Hotels")),
    _topic("population", "governance", "SOCI",
           ("Population by district", "Befolkning fordelt på bydele", "Bevolking per wijk",
            "Popolazione per quartiere", "Bevölkerung nach Stadtteilen"),
           ("population|demography|districts", "befolkning|demografi|bydele", "bevolking|demografie|wijken",
            "popolazione|demografia|quartieri", "Bevölkerung|Demografie|Stadtteile")),
    _topic("heat-island", "environment", "ENVI",
           ("Urban heat island temperatures", "Varmeø-temperaturer", "Hitte-eilandtemperaturen",
            "Temperature dell'isola di calore", "Temperaturen der Wärmeinsel"),
           ("heat island|temperature|climate", "varmeø|temperatur|klima", "hitte-eiland|temperatuur|klimaat",
            "isola di calore|temperatura|clima", "Wärmeinsel|Temperatur|Stadtklima")),
    _topic("trees", "environment", "ENVI",
           ("Street trees", "Gadetræer", "Bomenregister", "Alberi urbani", "Baumkataster"),
           ("trees|green space|canopy", "træer|grønne områder|kronedække", "bomen|groen|kroonbedekking",
            "alberi|verde urbano|chioma", "Bäume|Stadtgrün|Kronendach")),
)

DISTRICT_WORD = {"en": "district", "da": "bydel", "nl": "wijk", "it": "quartiere", "de": "Bezirk"}
DESCRIPTION = {
    "en": "{topic} for {city}, {district} {zone}, {start} to {end}. Measured by {sensors} sensors, "
          "updated {freq}. Published by {org}.",
    "da": "{topic} for {city}, {district} {zone}, {start} til {end}. Målt af {sensors} sensorer, "
          "opdateret {freq}. Udgivet af {org}.",
    "nl": "{topic} voor {city}, {district} {zone}, {start} tot {end}. Gemeten door {sensors} sensoren, "
          "{freq} bijgewerkt. Gepubliceerd door {org}.",
    "it": "{topic} per {city}, {district} {zone}, dal {start} al {end}. Misurati da {sensors} sensori, "
          "aggiornati {freq}. Pubblicato da {org}.",
    "de": "{topic} für {city}, {district} {zone}, {start} bis {end}. Gemessen von {sensors} Sensoren, "
          "{freq} aktualisiert. Veröffentlicht von {org}.",
}
FREQUENCY = {
    "en": ("hourly", "daily", "weekly", "monthly", "yearly"),
    "da": ("hver time", "dagligt", "ugentligt", "månedligt", "årligt"),
    "nl": ("elk uur", "dagelijks", "wekelijks", "maandelijks", "jaarlijks"),
    "it": ("ogni ora", "ogni giorno", "ogni settimana", "ogni mese", "ogni anno"),
    "de": ("stündlich", "täglich", "wöchentlich", "monatlich", "jährlich"),
}


@dataclass(frozen=True)
class City:
    """A dct:Location shared by many datasets; ``lang`` is the language local publishers write in."""

    slug: str
    name: str
    name_en: str
    country: str
    lang: str
    lon: float
    lat: float


def _cities() -> tuple[City, ...]:
    rows = [
        # slug, local name, English name, country (EU authority code), language, lon, lat
        ("copenhagen", "København", "Copenhagen", "DNK", "da", 12.5683, 55.6761),
        ("aarhus", "Aarhus", "Aarhus", "DNK", "da", 10.2039, 56.1629),
        ("odense", "Odense", "Odense", "DNK", "da", 10.4024, 55.4038),
        ("aalborg", "Aalborg", "Aalborg", "DNK", "da", 9.9217, 57.0488),
        ("esbjerg", "Esbjerg", "Esbjerg", "DNK", "da", 8.4520, 55.4765),
        ("vejle", "Vejle", "Vejle", "DNK", "da", 9.5357, 55.7113),
        ("amsterdam", "Amsterdam", "Amsterdam", "NLD", "nl", 4.9041, 52.3676),
        ("rotterdam", "Rotterdam", "Rotterdam", "NLD", "nl", 4.4777, 51.9244),
        ("den-haag", "Den Haag", "The Hague", "NLD", "nl", 4.3007, 52.0705),
        ("utrecht", "Utrecht", "Utrecht", "NLD", "nl", 5.1214, 52.0907),
        ("eindhoven", "Eindhoven", "Eindhoven", "NLD", "nl", 5.4697, 51.4416),
        ("groningen", "Groningen", "Groningen", "NLD", "nl", 6.5665, 53.2194),
        ("tilburg", "Tilburg", "Tilburg", "NLD", "nl", 5.0913, 51.5555),
        ("almere", "Almere", "Almere", "NLD", "nl", 5.2647, 52.3508),
        ("antwerpen", "Antwerpen", "Antwerp", "BEL", "nl", 4.4025, 51.2194),
        ("gent", "Gent", "Ghent", "BEL", "nl", 3.7174, 51.0543),
        ("brugge", "Brugge", "Bruges", "BEL", "nl", 3.2247, 51.2093),
        ("leuven", "Leuven", "Leuven", "BEL", "nl", 4.7005, 50.8798),
        ("milano", "Milano", "Milan", "ITA", "it", 9.1900, 45.4642),
        ("torino", "Torino", "Turin", "ITA", "it", 7.6869, 45.0703),
        ("bologna", "Bologna", "Bologna", "ITA", "it", 11.3426, 44.4949),
        ("firenze", "Firenze", "Florence", "ITA", "it", 11.2558, 43.7696),
        ("roma", "Roma", "Rome", "ITA", "it", 12.4964, 41.9028),
        ("napoli", "Napoli", "Naples", "ITA", "it", 14.2681, 40.8518),
        ("genova", "Genova", "Genoa", "ITA", "it", 8.9463, 44.4056),
        ("padova", "Padova", "Padua", "ITA", "it", 11.8768, 45.4064),
        ("trento", "Trento", "Trento", "ITA", "it", 11.1217, 46.0748),
        ("verona", "Verona", "Verona", "ITA", "it", 10.9916, 45.4384),
        ("bari", "Bari", "Bari", "ITA", "it", 16.8719, 41.1171),
        ("berlin", "Berlin", "Berlin", "DEU", "de", 13.4050, 52.5200),
        ("hamburg", "Hamburg", "Hamburg", "DEU", "de", 9.9937, 53.5511),
        ("muenchen", "München", "Munich", "DEU", "de", 11.5820, 48.1351),
        ("koeln", "Köln", "Cologne", "DEU", "de", 6.9603, 50.9375),
        ("frankfurt", "Frankfurt am Main", "Frankfurt", "DEU", "de", 8.6821, 50.1109),
        ("stuttgart", "Stuttgart", "Stuttgart", "DEU", "de", 9.1829, 48.7758),
        ("leipzig", "Leipzig", "Leipzig", "DEU", "de", 12.3731, 51.3397),
        ("dresden", "Dresden", "Dresden", "DEU", "de", 13.7373, 51.0504),
        ("bremen", "Bremen", "Bremen", "DEU", "de", 8.8017, 53.0793),
        ("heidelberg", "Heidelberg", "Heidelberg", "DEU", "de", 8.6724, 49.3988),
        ("wien", "Wien", "Vienna", "AUT", "de", 16.3738, 48.2082),
        ("graz", "Graz", "Graz", "AUT", "de", 15.4395, 47.0707),
        ("linz", "Linz", "Linz", "AUT", "de", 14.2858, 48.3069),
        ("salzburg", "Salzburg", "Salzburg", "AUT", "de", 13.0550, 47.8095),
        ("innsbruck", "Innsbruck", "Innsbruck", "AUT", "de", 11.4041, 47.2692),
        ("luxembourg", "Luxemburg", "Luxembourg", "LUX", "de", 6.1296, 49.6116),
        ("dublin", "Dublin", "Dublin", "IRL", "en", -6.2603, 53.3498),
        ("cork", "Cork", "Cork", "IRL", "en", -8.4756, 51.8985),
        ("galway", "Galway", "Galway", "IRL", "en", -9.0568, 53.2707),
        ("limerick", "Limerick", "Limerick", "IRL", "en", -8.6267, 52.6638),
        ("valletta", "Valletta", "Valletta", "MLT", "en", 14.5146, 35.8989),
    ]
    return tuple(City(*row) for row in rows)


CITIES = _cities()

ORG_KINDS: tuple[tuple[dict[str, str], str], ...] = (
    # Name pattern per language ({city} is substituted) and ADMS publisher type.
    ({"en": "{city} City Council", "da": "{city} Kommune", "nl": "Gemeente {city}",
      "it": "Comune di {city}", "de": "Stadt {city}"}, "LocalAuthority"),
    ({"en": "{city} Mobility Department", "da": "{city} Kommune, Teknik og Miljø",
      "nl": "Gemeente {city}, Verkeer en Vervoer", "it": "Comune di {city}, Mobilità",
      "de": "Stadt {city}, Mobilitätsreferat"}, "LocalAuthority"),
    ({"en": "{city} Transport", "da": "{city} Trafikselskab", "nl": "Vervoerbedrijf {city}",
      "it": "Azienda Trasporti {city}", "de": "Verkehrsbetriebe {city}"}, "Company"),
    ({"en": "{city} Energy", "da": "{city} Forsyning", "nl": "Energiebedrijf {city}",
      "it": "Multiservizi {city}", "de": "Stadtwerke {city}"}, "Company"),
    ({"en": "{city} Parking", "da": "{city} Parkering", "nl": "Parkeerbedrijf {city}",
      "it": "{city} Parcheggi", "de": "Parkraumgesellschaft {city}"}, "Company"),
    ({"en": "{city} Waste Services", "da": "{city} Affald og Genbrug", "nl": "Afvalbedrijf {city}",
      "it": "Igiene Urbana {city}", "de": "Abfallwirtschaft {city}"}, "Company"),
    ({"en": "University of {city}", "da": "{city} Universitet", "nl": "Universiteit {city}",
      "it": "Università di {city}", "de": "Universität {city}"}, "Academia-ScientificOrganisation"),
    ({"en": "{city} Tourism Board", "da": "Visit{city}", "nl": "{city} Marketing",
      "it": "Turismo {city}", "de": "{city} Tourismus"}, "NonProfitOrganisation"),
    ({"en": "{city} Environmental Agency", "da": "{city} Miljøcenter", "nl": "Omgevingsdienst {city}",
      "it": "Agenzia Ambientale {city}", "de": "Umweltamt {city}"}, "LocalAuthority"),
    ({"en": "{city} Energy Cooperative", "da": "{city} Energifællesskab", "nl": "Energiecoöperatie {city}",
      "it": "Comunità Energetica {city}", "de": "Bürgerenergie {city}"}, "NonProfitOrganisation"),
)

FILE_TYPES: tuple[tuple[str, str, str], ...] = (
    # EU file-type code, IANA media type, file extension; CSV and JSON dominate real catalogs.
    ("CSV", "text/csv", "csv"),
    ("CSV", "text/csv", "csv"),
    ("CSV", "text/csv", "csv"),
    ("JSON", "application/json", "json"),
    ("JSON", "application/json", "json"),
    ("GEOJSON", "application/geo+json", "geojson"),
    ("XML", "application/xml", "xml"),
    ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    ("SHP", "application/zip", "zip"),
    ("GEOTIFF", "image/tiff", "tif"),
    ("RDF_TURTLE", "text/turtle", "ttl"),
)
LICENCES = ("CC_BY_4_0", "CC_BY_4_0", "CC_BY_4_0", "CC0", "CC0", "CC_BYSA_4_0", "ODC_ODBL", "ODC_BY",
            "CC_BYNC_4_0")

DEFECTS = (
    "missing_title",
    "missing_description",
    "distribution_missing_access_url",
    "byte_size_bad_lexical",
    "byte_size_wrong_datatype",
    "issued_not_a_date",
    "publisher_missing_name",
)
"""Defect names written to the sidecar; each breaks a DCAT-AP 3 mandatory/datatype constraint."""
_EXCLUSIVE = {"byte_size_bad_lexical": "byte_size_wrong_datatype",
              "byte_size_wrong_datatype": "byte_size_bad_lexical"}

BROKEN_ORG = _iri(f"{BASE}org/broken")
"""The one publisher without foaf:name; datasets with the publisher_missing_name defect point to it."""

_EPOCH = date(2012, 1, 1)


@dataclass(frozen=True)
class Org:
    iri: str
    contact: str
    city: int
    name: str
    lang: str
    block: tuple[tuple[str, str, str], ...]
    """Triples for the organisation and its contact point, written on first use."""


def _organisations(n: int, rng: random.Random) -> list[Org]:
    """Organisation ``k`` lives in city ``k % len(CITIES)``, so every city has about n/50 publishers."""
    orgs: list[Org] = []
    for k in range(n):
        city = CITIES[k % len(CITIES)]
        kind_index = (k // len(CITIES)) % len(ORG_KINDS)
        patterns, pubtype = ORG_KINDS[kind_index]
        name = patterns[city.lang].format(city=city.name)
        if k >= len(CITIES) * len(ORG_KINDS):  # more organisations than kinds: number the extra ones
            name = f"{name} {k // (len(CITIES) * len(ORG_KINDS)) + 1}"
        iri = _iri(f"{BASE}org/{k}")
        contact = _iri(f"{BASE}contact/{k}")
        mailbox = f"data-{k}@{city.slug}.bench.agora.example"
        block = (
            (iri, A, C_ORGANIZATION),
            (iri, P_NAME, _lit(name, city.lang)),
            (iri, P_DCT_TYPE, _iri(f"{ADMS_PT}{pubtype}")),
            (contact, A, C_KIND),
            (contact, P_FN, _lit(f"{name} open data team" if city.lang == "en" else f"{name} – open data",
                                 city.lang)),
            (contact, P_HAS_EMAIL, _iri(f"mailto:{mailbox}")),
        )
        orgs.append(Org(iri, contact, k % len(CITIES), name, city.lang, block))
    rng.shuffle(orgs)  # so the popular (low-index after shuffling) publishers are spread over cities
    return orgs


def _city_block(index: int) -> tuple[tuple[str, str, str], ...]:
    city = CITIES[index]
    iri = _city_iri(index)
    triples = [(iri, A, C_LOCATION), (iri, P_PREF_LABEL, _lit(city.name, city.lang))]
    if city.lang != "en":
        triples.append((iri, P_PREF_LABEL, _lit(city.name_en, "en")))
    triples.append((iri, P_CENTROID, f'"POINT({city.lon} {city.lat})"{DT_WKT}'))
    triples.append((iri, P_COUNTRY, _iri(f"{EU}country/{city.country}")))
    return tuple(triples)


def _city_iri(index: int) -> str:
    return _iri(f"{BASE}city/{CITIES[index].slug}")


def _policy_block(k: int, rng: random.Random) -> tuple[tuple[str, str, str], ...]:
    """An ODRL Set: open use (40 %), use for one purpose (35 %), or use minus a prohibition (25 %).

    odrl:target is deliberately absent: the dataset points to the policy with odrl:hasPolicy,
    which ODRL defines as making the dataset the target of every rule.
    """
    iri = _iri(f"{BASE}policy/{k}")
    perm = f"_:perm{k}"
    triples = [(iri, A, C_SET), (iri, P_UID, iri), (iri, P_PERMISSION, perm),
               (perm, A, C_PERMISSION), (perm, P_ACTION, ODRL_USE)]
    roll = rng.random()
    if roll < 0.40:
        return tuple(triples)
    if roll < 0.75:
        purpose = PURPOSES[rng.randrange(len(PURPOSES))]
        constraint = f"_:pc{k}"
        triples += [(perm, P_CONSTRAINT, constraint), *_purpose_constraint(constraint, purpose)]
        return tuple(triples)
    prohibition = f"_:proh{k}"
    triples += [(iri, P_PROHIBITION, prohibition), (prohibition, A, C_PROHIBITION)]
    if rng.random() < 0.5:  # no commercial use
        constraint = f"_:hc{k}"
        triples += [(prohibition, P_ACTION, ODRL_USE), (prohibition, P_CONSTRAINT, constraint),
                    *_purpose_constraint(constraint, "commercial")]
    else:  # use, but no redistribution
        triples.append((prohibition, P_ACTION, ODRL_DISTRIBUTE))
    return tuple(triples)


def _purpose_constraint(node: str, purpose: str) -> list[tuple[str, str, str]]:
    return [(node, A, C_CONSTRAINT), (node, P_LEFT, ODRL_PURPOSE), (node, P_OPERATOR, ODRL_IS_A),
            (node, P_RIGHT, _iri(f"{PURPOSE}{purpose}"))]


# --- writers ------------------------------------------------------------------------------------


def _ttl_abbreviations() -> dict[str, str]:
    """Map every constant IRI term this module emits to its prefixed name, for Turtle output.

    Only constants are abbreviated through the dict; per-dataset IRIs go through
    `_ttl_term`'s prefix check, which is cheap because they all start with BASE.
    """
    table: dict[str, str] = {}
    for value in list(globals().values()):
        if isinstance(value, str) and value.startswith(("<", "^^<")) and value.endswith(">"):
            iri = value[value.index("<"):]
            short = _shorten(iri[1:-1])
            if short:
                table[iri] = short
    table[A] = "a"
    return table


def _shorten(iri: str) -> str | None:
    best: tuple[int, str] | None = None
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns):
            local = iri[len(ns):]
            if local and all(c.isalnum() or c in "-_" for c in local) and (best is None or len(ns) > best[0]):
                best = (len(ns), f"{prefix}:{local}")
    return best[1] if best else None


class _Writer:
    """Streams triples in one of the three syntaxes, counting them as it goes."""

    def __init__(self, handle: TextIO, fmt: str) -> None:
        self.handle = handle
        self.fmt = fmt
        self.triples = 0
        self._buffer: list[str] = []
        self._abbrev = _ttl_abbreviations() if fmt == "ttl" else {}
        self._per_dataset = (f"<{BASE}ds/", f"<{BASE}dist/")
        self._never_short = ("<https://data.", "<mailto:")
        if fmt == "ttl":
            handle.write("".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items()) + "\n")

    def _ttl_term(self, term: str) -> str:
        short = self._abbrev.get(term)
        if short is not None:
            return short
        if term[0] == "<":
            if term.startswith(self._per_dataset):  # one-off IRIs: abbreviate, but do not remember
                return _shorten(term[1:-1]) or term
            if term.startswith(self._never_short):
                return term
            # Vocabulary IRIs built inside the generator (themes, licences, ...): a small, fixed set.
            short = self._abbrev[term] = _shorten(term[1:-1]) or term
            return short
        if term[0] == '"' and term.endswith(">"):
            quote = term.rindex('"')
            short = self._abbrev.get(term[quote + 3:])
            if short is not None:
                return f"{term[:quote + 3]}{short}"
        return term

    def block(self, triples: tuple[tuple[str, str, str], ...] | list[tuple[str, str, str]]) -> None:
        """Add triples; for Turtle, consecutive triples with the same subject share one statement."""
        self.triples += len(triples)
        out = self._buffer
        if self.fmt == "nt":
            out.extend(f"{s} {p} {o} .\n" for s, p, o in triples)
        elif self.fmt == "nq":
            out.extend(f"{s} {p} {o} {GRAPH} .\n" for s, p, o in triples)
        else:
            term = self._ttl_term
            previous = None
            for s, p, o in triples:
                if s == previous:
                    out.append(f" ;\n    {term(p)} {term(o)}")
                else:
                    if previous is not None:
                        out.append(" .\n")
                    out.append(f"{term(s)} {term(p)} {term(o)}")
                    previous = s
            if previous is not None:
                out.append(" .\n")
        if len(out) > 50_000:
            self.flush()

    def flush(self) -> None:
        self.handle.write("".join(self._buffer))
        self._buffer.clear()


@contextmanager
def _open_atomic(out: Path) -> Iterator[TextIO]:
    """Write to a temporary sibling and rename on success, so readers (and the benchmark cache)
    never see a half-written catalog."""
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    raw: TextIO
    if out.name.endswith(".gz"):
        # Level 1: ~30 % larger than the default level 6 on this data but less than half the CPU time.
        raw = gzip.open(tmp, "wt", compresslevel=1, encoding="utf-8", newline="\n")  # noqa: SIM115
    else:
        raw = open(tmp, "w", encoding="utf-8", newline="\n", buffering=1 << 20)  # noqa: SIM115
    try:
        with raw:
            yield raw
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def format_from_path(path: Path) -> str:
    """Guess nt/ttl/nq from the file name (ignoring .gz); defaults to nt."""
    name = path.name.removesuffix(".gz")
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return {"ttl": "ttl", "turtle": "ttl", "nq": "nq", "nquads": "nq"}.get(suffix, "nt")


def sidecar_path(out: Path) -> Path:
    """Where the {dataset IRI: [defects]} list for `out` is written."""
    return out.with_name(f"{out.name}.invalid.json")


# --- the generator ------------------------------------------------------------------------------


def generate(n_datasets: int, invalid_share: float, seed: int, out: Path, fmt: str = "nt",
             n_policies: int = DEFAULT_POLICIES, n_organisations: int = DEFAULT_ORGANISATIONS) -> dict[str, int]:
    """Write a synthetic catalog of `n_datasets` datasets to `out` and the defect list beside it.

    Returns counts: datasets, triples, invalid (datasets with at least one defect), and the
    number of organisations, cities and policies actually written.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    if not 0.0 <= invalid_share <= 1.0:
        raise ValueError("invalid_share must be between 0 and 1")
    if n_datasets < 0 or n_policies < 1 or n_organisations < 1:
        raise ValueError("need n_datasets >= 0, n_policies >= 1 and n_organisations >= 1")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)

    # Independent streams: changing one knob must not reshuffle what the others produce.
    rng = random.Random(f"agora-bench:{seed}:datasets")
    pool_rng = random.Random(f"agora-bench:{seed}:pools")
    defect_rng = random.Random(f"agora-bench:{seed}:defects")

    orgs = _organisations(n_organisations, pool_rng)
    # Publishing activity is skewed: a few publishers hold most datasets, as on real portals.
    org_weights = _cumulative([1.0 / (k + 1) ** 0.8 for k in range(n_organisations)])
    policy_rng = random.Random(f"agora-bench:{seed}:policies")
    policy_blocks = [_policy_block(k, policy_rng) for k in range(n_policies)]

    n_invalid = round(n_datasets * invalid_share)
    defects = _choose_defects(n_datasets, n_invalid, defect_rng)
    sidecar: dict[str, list[str]] = {}

    written_orgs: set[int] = set()
    written_cities: set[int] = set()
    written_policies: set[int] = set()
    catalog = _iri(f"{BASE}catalog")
    first_org = orgs[0]

    with _open_atomic(out) as handle:
        w = _Writer(handle, fmt)
        w.block([
            (catalog, A, C_CATALOG),
            (catalog, P_TITLE, _lit("Agora benchmark catalog", "en")),
            (catalog, P_DESCRIPTION, _lit(f"Synthetic DCAT-AP 3 catalog of {n_datasets} smart-community "
                                          f"datasets (seed {seed}).", "en")),
            (catalog, P_PUBLISHER, first_org.iri),
        ])
        w.block(first_org.block)
        written_orgs.add(0)
        broken_written = False

        dataset_block = _dataset_builder(rng, orgs, org_weights, n_policies)
        for i in range(n_datasets):
            triples, org_index, city_index, policy_index = dataset_block(i)
            my_defects = defects.get(i)
            if my_defects:
                triples = _apply_defects(triples, my_defects)
                sidecar[f"{BASE}ds/{i}"] = list(my_defects)
                if "publisher_missing_name" in my_defects and not broken_written:
                    w.block([(BROKEN_ORG, A, C_ORGANIZATION),
                             (BROKEN_ORG, P_DCT_TYPE, _iri(f"{ADMS_PT}Company"))])
                    broken_written = True
            triples.append((catalog, P_DATASET, triples[0][0]))
            w.block(triples)
            if org_index not in written_orgs:
                written_orgs.add(org_index)
                w.block(orgs[org_index].block)
            if city_index not in written_cities:
                written_cities.add(city_index)
                w.block(_city_block(city_index))
            if policy_index not in written_policies:
                written_policies.add(policy_index)
                w.block(policy_blocks[policy_index])
        w.flush()
        # Written before the catalog is renamed into place: whoever sees the catalog sees its defects.
        side = sidecar_path(out)
        side_tmp = side.with_name(f".{side.name}.{os.getpid()}.tmp")
        side_tmp.write_text(json.dumps(sidecar, indent=1) + "\n", encoding="utf-8")
        os.replace(side_tmp, side)
    return {"datasets": n_datasets, "triples": w.triples, "invalid": len(sidecar),
            "organisations": len(written_orgs) + int(broken_written), "cities": len(written_cities),
            "policies": len(written_policies)}


def _cumulative(weights: list[float]) -> list[float]:
    total = 0.0
    out = []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _choose_defects(n: int, n_invalid: int, rng: random.Random) -> dict[int, tuple[str, ...]]:
    """Exactly `n_invalid` datasets get one defect (70 %) or two compatible defects (30 %)."""
    chosen: dict[int, tuple[str, ...]] = {}
    for i in sorted(rng.sample(range(n), n_invalid)):
        first = DEFECTS[rng.randrange(len(DEFECTS))]
        if rng.random() < 0.3:
            others = [d for d in DEFECTS if d != first and d != _EXCLUSIVE.get(first)]
            chosen[i] = (first, others[rng.randrange(len(others))])
        else:
            chosen[i] = (first,)
    return chosen


def _apply_defects(triples: list[tuple[str, str, str]], defects: tuple[str, ...]) -> list[tuple[str, str, str]]:
    dataset = triples[0][0]
    result: list[tuple[str, str, str]] = []
    for s, p, o in triples:
        if s == dataset:
            if p == P_TITLE and "missing_title" in defects:
                continue
            if p == P_DESCRIPTION and "missing_description" in defects:
                continue
            if p == P_ISSUED and "issued_not_a_date" in defects:
                o = _plain("yesterday")
            elif p == P_PUBLISHER and "publisher_missing_name" in defects:
                o = BROKEN_ORG
        else:  # the distribution (the period of time never gets a defect)
            if p == P_ACCESS_URL and "distribution_missing_access_url" in defects:
                continue
            if p == P_BYTE_SIZE:
                if "byte_size_bad_lexical" in defects:
                    o = f'"12kb"{DT_NNI}'
                elif "byte_size_wrong_datatype" in defects:
                    o = f'"12"{DT_STRING}'
        result.append((s, p, o))
    return result


def _dataset_builder(rng: random.Random, orgs: list[Org], org_weights: list[float], n_policies: int
                     ) -> Callable[[int], tuple[list[tuple[str, str, str]], int, int, int]]:
    """Return a closure building dataset i's triples; closures keep the hot loop's lookups local."""
    randrange = rng.randrange
    random_ = rng.random
    choices = rng.choices
    org_indices = range(len(orgs))
    n_topics = len(TOPICS)
    n_cities = len(CITIES)
    n_files = len(FILE_TYPES)
    n_licences = len(LICENCES)
    ds_base = f"{BASE}ds/"
    dist_base = f"{BASE}dist/"
    policy_base = f"{BASE}policy/"
    themes = [_iri(f"{EU}data-theme/{t.theme}") for t in TOPICS]
    sectors = [_iri(f"{SECTOR}{t.sector}") for t in TOPICS]
    formats = [(_iri(f"{EU}file-type/{c}"), _iri(f"{IANA}{m}"), ext) for c, m, ext in FILE_TYPES]
    licences = [_iri(f"{EU}licence/{code}") for code in LICENCES]
    policies = [_iri(f"{policy_base}{k}") for k in range(n_policies)]
    other_langs = {lang: [x for x in LANGS if x != lang] for lang in LANGS}

    def build(i: int) -> tuple[list[tuple[str, str, str]], int, int, int]:
        ds = f"<{ds_base}{i}>"
        dist = f"<{dist_base}{i}>"
        period = f"_:period{i}"
        org_index = choices(org_indices, cum_weights=org_weights)[0]
        org = orgs[org_index]
        # Nine in ten datasets describe the publisher's own city.
        city_index = org.city if random_() < 0.9 else randrange(n_cities)
        city = CITIES[city_index]
        topic_index = randrange(n_topics)
        topic = TOPICS[topic_index]
        primary = city.lang
        secondary = "en" if primary != "en" else other_langs["en"][randrange(4)]
        zone = randrange(1, 100)
        start = _EPOCH + timedelta(days=randrange(3650))
        end = start + timedelta(days=90 + randrange(1800))
        issued = end + timedelta(days=randrange(120))
        modified = issued + timedelta(days=randrange(700))
        start_s, end_s = start.isoformat(), end.isoformat()

        def title(lang: str) -> str:
            city_name = city.name_en if lang == "en" else city.name
            return f"{topic.titles[lang]}, {city_name} {DISTRICT_WORD[lang]} {zone}, {start.year}–{end.year}"

        description = DESCRIPTION[primary].format(
            topic=topic.titles[primary], city=city.name if primary != "en" else city.name_en,
            district=DISTRICT_WORD[primary], zone=zone, start=start_s, end=end_s,
            sensors=1 + randrange(400), freq=FREQUENCY[primary][randrange(5)], org=org.name)
        triples = [
            (ds, A, C_DATASET),
            (ds, P_TITLE, _lit(title(primary), primary)),
            (ds, P_TITLE, _lit(title(secondary), secondary)),
            (ds, P_DESCRIPTION, _lit(description, primary)),
            (ds, P_IDENTIFIER, f'"{city.slug}-{topic.code}-{i:07d}"'),
        ]
        words = topic.keywords[primary]
        n_keywords = 2 + (random_() < 0.5)
        first_kw = randrange(len(words))
        for j in range(n_keywords):
            # Mostly the primary language; the last keyword sometimes in the secondary one.
            if j == 2 and random_() < 0.5:
                other = topic.keywords[secondary]
                triples.append((ds, P_KEYWORD, _lit(other[randrange(len(other))], secondary)))
            else:
                triples.append((ds, P_KEYWORD, _lit(words[(first_kw + j) % len(words)], primary)))
        file_iri, media_iri, ext = formats[randrange(n_files)]
        policy_index = randrange(n_policies)
        triples += [
            (ds, P_THEME, themes[topic_index]),
            (ds, P_THEME, sectors[topic_index]),
            (ds, P_SECTOR, sectors[topic_index]),
            (ds, P_PUBLISHER, org.iri),
            (ds, P_SPATIAL, _city_iri(city_index)),
            (ds, P_ISSUED, f'"{issued.isoformat()}"{DT_DATE}'),
            (ds, P_MODIFIED, f'"{modified.isoformat()}"{DT_DATE}'),
            (ds, P_TEMPORAL, period),
            (ds, P_CONTACT, org.contact),
            (ds, P_DISTRIBUTION, dist),
            (ds, P_HAS_POLICY, policies[policy_index]),
            (period, A, C_PERIOD),
            (period, P_START, f'"{start_s}"{DT_DATE}'),
            (period, P_END, f'"{end_s}"{DT_DATE}'),
            (dist, A, C_DISTRIBUTION),
            (dist, P_ACCESS_URL, f"<https://data.{city.slug}.bench.agora.example/dataset/{i}>"),
            (dist, P_DOWNLOAD_URL, f"<https://data.{city.slug}.bench.agora.example/files/{i}.{ext}>"),
            (dist, P_FORMAT, file_iri),
            (dist, P_MEDIA_TYPE, media_iri),
            (dist, P_LICENSE, licences[randrange(n_licences)]),
            # Log-uniform between 1 KiB and ~4 GiB, like real download sizes.
            (dist, P_BYTE_SIZE, f'"{int(1024 * 2 ** (22 * random_()))}"{DT_NNI}'),
        ]
        return triples, org_index, city_index, policy_index

    return build


# --- command line -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=int, required=True, help="number of dcat:Dataset records")
    parser.add_argument("--invalid", type=float, default=0.0, help="share of datasets given defects (0..1)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="output file; .gz compresses")
    parser.add_argument("--format", choices=FORMATS, default=None,
                        help="nt, ttl or nq (default: from the file name, else nt)")
    parser.add_argument("--policies", type=int, default=DEFAULT_POLICIES,
                        help="size of the shared ODRL policy pool (default %(default)s)")
    parser.add_argument("--organisations", type=int, default=DEFAULT_ORGANISATIONS,
                        help="size of the shared publisher pool (default %(default)s)")
    args = parser.parse_args(argv)
    fmt = args.format or format_from_path(args.out)
    started = time.perf_counter()
    counts = generate(args.datasets, args.invalid, args.seed, args.out, fmt,
                      n_policies=args.policies, n_organisations=args.organisations)
    seconds = time.perf_counter() - started
    per_dataset = counts["triples"] / counts["datasets"] if counts["datasets"] else 0.0
    print(json.dumps({**counts, "format": fmt, "out": str(args.out), "seconds": round(seconds, 2),
                      "triples_per_dataset": round(per_dataset, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
