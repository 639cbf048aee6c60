"""Fixtures and helpers of the geocoding tests.

tests/conftest.py belongs to the app's tests; the geocoding test modules import what they need from
here instead (``fake_nominatim = conftest_geocoding.fake_nominatim`` makes the fixture visible).
"""

from __future__ import annotations

import csv
import datetime
import io
import ipaddress
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from geo.geocoding.gazetteer import lookup_city
from geo.offices.schema import CONTRACT_COLUMNS
from tests.fake_nominatim import FakeNominatim, building, place

REPO = Path(__file__).resolve().parent.parent
OFFICES_CSV = REPO / "data" / "offices.csv"
USER_AGENT = "gs-office-map-tests/1.0 (tests@example.org)"

# Cities the offline gazetteer knows: (city, country, ISO code).
CITIES = (
    ("Lyon", "France", "FR"),
    ("Berlin", "Germany", "DE"),
    ("Madrid", "Spain", "ES"),
    ("Rome", "Italy", "IT"),
    ("Vienna", "Austria", "AT"),
    ("Nairobi", "Kenya", "KE"),
    ("Lima", "Peru", "PE"),
    ("Tokyo", "Japan", "JP"),
    ("Ottawa", "Canada", "CA"),
    ("Dakar", "Senegal", "SN"),
    ("Singapore", "Singapore", "SG"),
    ("Yaoundé", "Cameroon", "CM"),
)


@pytest.fixture
def fake_nominatim() -> Iterator[FakeNominatim]:
    """A started fake Nominatim on 127.0.0.1 (a free port); stopped after the test."""
    with FakeNominatim() as server:
        yield server


@dataclass(frozen=True)
class Tls:
    """A self-signed certificate for 127.0.0.1: a server context, and a client context trusting it."""

    server: ssl.SSLContext
    client: ssl.SSLContext


@pytest.fixture(scope="session")
def tls(tmp_path_factory) -> Tls:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_path, key_path)
    return Tls(server, ssl.create_default_context(cafile=str(cert_path)))


@dataclass(frozen=True)
class Office:
    """A test office and the answers the fake server will give for it."""

    id: str
    city: str
    country: str
    country_code: str
    address: str = ""
    latitude: str = ""
    longitude: str = ""
    precision: str = ""

    @property
    def city_query(self) -> str:
        return f"{self.city}, {self.country}"

    @property
    def address_query(self) -> str:
        return f"{self.address}, {self.city}, {self.country}"

    def gazetteer_point(self) -> tuple[float, float]:
        found = lookup_city(self.city, self.country_code)
        assert found is not None, self.city
        return found.latitude, found.longitude

    def service_point(self, index: int) -> tuple[float, float]:
        """What the fake server answers for this office: near the city, unique per office."""
        lat, lon = self.gazetteer_point()
        return round(lat + (index + 1) * 1e-4, 5), round(lon - (index + 1) * 1e-4, 5)

    def cells(self) -> dict[str, str]:
        return {
            "id": self.id,
            "name": f"Test office {self.id}",
            "office_type": "liaison_office",
            "city": self.city,
            "country": self.country,
            "country_code": self.country_code,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "geocode_precision": self.precision,
            "address": self.address,
        }


def offices(count: int, *, with_address: bool = True) -> list[Office]:
    """``count`` offices without coordinates; each has its own query."""
    made = []
    for i in range(count):
        city, country, code = CITIES[i % len(CITIES)]
        address = f"{i + 1} Test Street" if with_address else ""
        made.append(Office(f"office-{i + 1:03d}", city, country, code, address))
    return made


def table_bytes(rows: list[Office], *, delimiter: str = ",", line_end: str = "\n") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=line_end)
    writer.writerow(CONTRACT_COLUMNS)
    for office in rows:
        cells = office.cells()
        writer.writerow([cells.get(c, "") for c in CONTRACT_COLUMNS])
    return out.getvalue().encode()


def serve(server: FakeNominatim, rows: list[Office]) -> dict[str, tuple[float, float, str]]:
    """Teach the server every office (a building for the address, a place for the city).

    Returns id -> (latitude, longitude, precision) expected in the table afterwards.
    """
    expected = {}
    for index, office in enumerate(rows):
        lat, lon = office.service_point(index)
        if office.address:
            server.answer(office.address_query, building(lat, lon))
            expected[office.id] = (lat, lon, "building")
        else:
            server.answer(office.city_query, place(lat, lon))
            expected[office.id] = (lat, lon, "city")
    return expected


def read_table(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def geocode(capsys, *args: object) -> tuple[int, str, str]:
    """Run ``python -m geo.geocoding ARGS`` in this process; (exit status, stdout, stderr)."""
    from geo.geocoding.cli import main

    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def online(server: FakeNominatim, cache: Path, *, min_delay: str = "0.05") -> list[str]:
    """The options that point a run at ``server`` with the tests' user agent and cache."""
    return ["--geocoder-url", server.url, "--user-agent", USER_AGENT, "--cache", str(cache),
            "--min-delay", min_delay]


def run_geocode(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``python -m geo.geocoding ARGS`` in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "geo.geocoding", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def start_geocode(*args: str, log: Path) -> subprocess.Popen[bytes]:
    """``python -m geo.geocoding ARGS`` started in the background, output to ``log``."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "geo.geocoding", *args],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
