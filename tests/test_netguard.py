"""No request can make the server fetch an internal URL unless the operator allowed the host."""

from __future__ import annotations

import pytest

from agora.kg.errors import BadInput, Forbidden
from agora.kg.netguard import check_url


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000/catalog", "http://localhost/x", "http://10.0.0.5/", "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/",
])
def test_internal_addresses_are_refused_by_default(url):
    with pytest.raises(Forbidden):
        check_url(url, [])


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://x/", "ftp://example.org/a", "not a url"])
def test_only_http_urls(url):
    with pytest.raises(BadInput):
        check_url(url, [])


def test_allow_hosts_accepts_names_ips_and_ranges():
    assert check_url("http://127.0.0.1:9000/catalog", ["127.0.0.1"]).port == 9000
    assert check_url("http://127.0.0.5/", ["127.0.0.0/8"]).addresses == ("127.0.0.5",)
    assert check_url("http://localhost:81/", ["localhost"]).host == "localhost"
    with pytest.raises(Forbidden):
        check_url("http://10.1.2.3/", ["127.0.0.0/8"])


def test_public_addresses_pass_without_resolution_tricks():
    assert check_url("https://93.184.216.34/", []).port == 443
