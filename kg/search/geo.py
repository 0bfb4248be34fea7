"""Just enough geometry for catalog search: bounding boxes from WKT, and boxes around a point.

Catalog geometry (dcat:bbox, dcat:centroid, locn:geometry) describes coverage areas, so every
test the search needs is a box test: intersects, contains, or within some kilometres of a point.
A full geometry library would buy nothing here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_NUMBER_PAIR = re.compile(r"(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s+(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")
_CRS_PREFIX = re.compile(r"^\s*<[^>]*>\s*")
KM_PER_DEGREE_LAT = 111.32


@dataclass(frozen=True)
class BBox:
    """Longitude/latitude box (WGS 84, as GeoSPARQL WKT without a CRS IRI gives it)."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def union(self, other: BBox) -> BBox:
        return BBox(min(self.min_lon, other.min_lon), min(self.min_lat, other.min_lat),
                    max(self.max_lon, other.max_lon), max(self.max_lat, other.max_lat))

    def to_list(self) -> list[float]:
        return [self.min_lon, self.min_lat, self.max_lon, self.max_lat]


def bbox_of_wkt(wkt: str) -> BBox | None:
    """The box around any WKT geometry (POINT, POLYGON, MULTIPOLYGON...), or None if it has no
    coordinates. A leading CRS IRI is ignored: catalogs in practice use CRS84 / WGS 84."""
    text = _CRS_PREFIX.sub("", wkt)
    pairs = [(float(x), float(y)) for x, y in _NUMBER_PAIR.findall(text)]
    if not pairs:
        return None
    lons = [p[0] for p in pairs]
    lats = [p[1] for p in pairs]
    box = BBox(min(lons), min(lats), max(lons), max(lats))
    if not (-180 <= box.min_lon <= box.max_lon <= 180 and -90 <= box.min_lat <= box.max_lat <= 90):
        return None
    return box


def box_around(lat: float, lon: float, km: float) -> BBox:
    """A box that contains the circle of `km` around the point (used for "near")."""
    dlat = km / KM_PER_DEGREE_LAT
    dlon = km / (KM_PER_DEGREE_LAT * max(math.cos(math.radians(lat)), 0.01))
    return BBox(max(lon - dlon, -180), max(lat - dlat, -90), min(lon + dlon, 180), min(lat + dlat, 90))


def parse_bbox(text: str) -> BBox:
    """'min_lon,min_lat,max_lon,max_lat' (the order of GeoJSON and OGC APIs)."""
    parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    if len(parts) != 4:
        raise ValueError("bbox needs four numbers: min_lon,min_lat,max_lon,max_lat")
    a, b, c, d = (float(p) for p in parts)
    if a > c or b > d:
        raise ValueError("bbox: the minimum must come before the maximum (min_lon,min_lat,max_lon,max_lat)")
    return BBox(a, b, c, d)


def parse_near(text: str, default_km: float = 10.0) -> tuple[float, float, float]:
    """'lat,lon' or 'lat,lon,km' (latitude first, as people write coordinates)."""
    parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    if len(parts) not in (2, 3):
        raise ValueError("near needs lat,lon or lat,lon,km")
    lat, lon = float(parts[0]), float(parts[1])
    km = float(parts[2]) if len(parts) == 3 else default_km
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or km <= 0:
        raise ValueError("near: latitude within ±90, longitude within ±180, and a positive distance")
    return lat, lon, km
