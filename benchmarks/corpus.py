"""A generator of realistic transaction documents for benchmarks (deterministic by seed).

The mix follows what an exporter of surveillance-capable products sees: mostly commercial
and municipal deals with few capabilities, some government deals with serious ones, a few
with red flags in the customisation request. ``unique_text=True`` appends a serial to every
free text so no per-text cache can help (the cold case).

Three shapes of the same mix (``shape=``):

- ``"varied"`` (the default): every list is drawn afresh for every deal, in a random order:
  each item's classification among three ECCNs, its design safeguards (any 0 to 5 of 7), the
  contract's clauses (any 2 to 9 of 9). Hardly two deals share a contract or an item
  configuration: what a memory keyed by them can save is least here.
- ``"catalogue"``: what an exporter's order system sends. A product has one classification
  and a standard configuration; one deal in four configures it differently (one safeguard
  switched off, or an optional one on). A customer buys under its framework contract; one
  deal in five amends it (a clause struck or added). Lists come in the system's own order
  (the catalogue's), as any system writes them. The end users, items, requests, kinds,
  quantities and values are drawn as in ``"varied"``. Seven customers, thirteen products, one
  date: a small exporter's day.
- ``"orderbook"``: the catalogue's way of drawing lists, over an order book of realistic
  size: 1,500 customers (each one of the seven end users' profiles, in one of 49
  destinations weighted towards the larger markets, with a framework contract of its own),
  104 product models (eight per product, each with standard design safeguards of its own),
  40 distributors (two deals in five are sold direct), and deals dated over 330 days. A few
  large customers and best-selling models come most often (Zipf weights, exponent 0.9).
  What a plugin remembers per customer, model, date or their combinations must hold a
  working set this large to help.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

PRODUCTS: list[dict[str, Any]] = [
    {
        "name": "Fixed dome camera 4MP",
        "categories": ["other"],
        "capabilities": ["audio_video_recording"],
        "description": "Indoor dome camera with 4 MP sensor, infrared night mode and on-board recording to SD card.",
    },
    {
        "name": "Body-worn camera kit",
        "categories": ["body_worn_camera"],
        "capabilities": ["audio_video_recording", "data_retention"],
        "description": "Body-worn camera with 12-hour battery, pre-event buffer and encrypted storage; docking station included.",
    },
    {
        "name": "Thermal perimeter camera",
        "categories": ["thermal_imaging"],
        "capabilities": ["audio_video_recording"],
        "description": "Fixed thermal camera for perimeter intrusion detection at industrial sites, 640x512 sensor.",
    },
    {
        "name": "Traffic enforcement camera",
        "categories": ["license_plate_reader"],
        "capabilities": ["location_tracking", "data_retention"],
        "description": "Automatic number plate recognition camera for speed and red-light enforcement at intersections.",
    },
    {
        "name": "Video management platform",
        "categories": ["data_analytics"],
        "capabilities": ["indexing_and_search", "data_retention"],
        "description": "Central video management software that records streams and lets operators search footage by time and camera.",
    },
    {
        "name": "Face recognition SDK",
        "categories": ["facial_recognition"],
        "capabilities": ["biometric_identification"],
        "description": "Software development kit for face matching against enrolled galleries, for access control integrators.",
    },
    {
        "name": "Social listening suite",
        "categories": ["social_media_analytics"],
        "capabilities": ["indexing_and_search", "sentiment_analysis"],
        "description": "Brand monitoring dashboard tracking mentions, sentiment and reach of public posts about the customer's products.",
    },
    {
        "name": "Network performance probe",
        "categories": ["other"],
        "capabilities": ["metadata_collection"],
        "description": "Passive probe measuring latency, jitter and throughput per service class for network operations teams.",
    },
    {
        "name": "Lawful interception mediation",
        "categories": ["network_protocol_surveillance"],
        "capabilities": ["content_interception", "metadata_collection"],
        "description": "Mediation device delivering intercepted communications of warranted targets to the authority's monitoring centre.",
    },
    {
        "name": "Mobile forensic kit",
        "categories": ["penetration_testing"],
        "capabilities": ["device_exploitation", "decryption"],
        "description": "Forensic extraction kit that bypasses screen lock on seized phones and decrypts stored messages.",
    },
    {
        "name": "Survey drone",
        "categories": ["drone"],
        "capabilities": ["audio_video_recording"],
        "description": "Quadcopter with 20 MP mapping camera for infrastructure inspection and land survey.",
    },
    {
        "name": "Rapid DNA analyser",
        "categories": ["rapid_dna"],
        "capabilities": ["biometric_identification", "data_retention"],
        "description": "Bench-top rapid DNA instrument producing profiles in 90 minutes for booking stations.",
    },
    {
        "name": "Server hardware",
        "categories": [],
        "capabilities": [],
        "description": "Rack-mounted servers with 2 CPUs, 512 GB memory and 24 drive bays.",
    },
]
REQUESTS = [
    "",
    "",
    "",
    "",
    "",
    "Localise the user interface into the customer's language.",
    "Integrate with the customer's existing directory for single sign-on.",
    "Raise retention to 5 years and switch off audit logging on searches.",
    "Add an analytics module that tags detected persons by ethnicity.",
    "Add a watchlist of protest organisers and alert when they are seen.",
]
END_USERS: list[dict[str, Any]] = [
    {
        "name": "Harbour Logistics BV",
        "country": "NL",
        "type": "private",
        "sector": "commercial",
        "government_relationship": "none",
    },
    {
        "name": "City of Springfield Police",
        "country": "US",
        "type": "government_agency",
        "sector": "municipal",
    },
    {
        "name": "National Telecom JSC",
        "country": "KZ",
        "type": "state_owned_enterprise",
        "sector": "telecom_operator",
        "government_relationship": "state_controlled",
    },
    {
        "name": "Ministry of Interior, Public Security Directorate",
        "country": "EG",
        "type": "government_agency",
        "sector": "public_security",
    },
    {"name": "University Hospital Lab", "country": "DE", "type": "academic", "sector": "health"},
    {
        "name": "Integrated Security Services LLC",
        "country": "AE",
        "type": "private_close_to_government",
        "sector": "public_security",
        "government_relationship": "contractor",
    },
    {
        "name": "Regional Border Guard",
        "country": "PL",
        "type": "government_agency",
        "sector": "border_control",
    },
]
SAFEGUARDS = [
    "audit_logging",
    "tamper_evident_logs",
    "role_based_access",
    "geofencing",
    "volume_limits",
    "data_minimisation",
    "warrant_enforcement",
]
CLAUSES = [
    "export_compliance",
    "end_use_certificate",
    "no_reexport",
    "use_limitation",
    "data_handling",
    "audit_rights",
    "suspend_and_terminate",
    "human_rights_training",
    "grievance_mechanism",
]


# The catalogue shape: each product's classification and standard design safeguards (by
# product name), and each customer's framework contract (by end-user name).
CATALOGUE: dict[str, tuple[str, list[str]]] = {
    "Fixed dome camera 4MP": ("EAR99", ["role_based_access"]),
    "Body-worn camera kit": ("5A992.c", ["audit_logging", "tamper_evident_logs", "role_based_access"]),
    "Thermal perimeter camera": ("EAR99", ["role_based_access", "geofencing"]),
    "Traffic enforcement camera": ("5A992.c", ["audit_logging", "role_based_access", "data_minimisation"]),
    "Video management platform": ("5D992.c", ["audit_logging", "role_based_access", "data_minimisation"]),
    "Face recognition SDK": ("5D992.c", ["audit_logging", "role_based_access", "volume_limits"]),
    "Social listening suite": ("5D992.c", ["role_based_access", "data_minimisation"]),
    "Network performance probe": ("5A992.c", ["role_based_access", "data_minimisation"]),
    "Lawful interception mediation": (
        "5A992.c",
        ["audit_logging", "tamper_evident_logs", "role_based_access", "warrant_enforcement"],
    ),
    "Mobile forensic kit": ("5D992.c", ["audit_logging", "tamper_evident_logs", "warrant_enforcement"]),
    "Survey drone": ("EAR99", ["geofencing"]),
    "Rapid DNA analyser": ("EAR99", ["audit_logging", "role_based_access"]),
    "Server hardware": ("EAR99", []),
}
FRAMEWORK_CONTRACTS: dict[str, list[str]] = {
    "Harbour Logistics BV": ["export_compliance", "no_reexport", "data_handling"],
    "City of Springfield Police": [
        "export_compliance",
        "end_use_certificate",
        "no_reexport",
        "use_limitation",
        "data_handling",
        "audit_rights",
    ],
    "National Telecom JSC": ["export_compliance", "end_use_certificate", "no_reexport", "use_limitation"],
    "Ministry of Interior, Public Security Directorate": [
        "export_compliance",
        "end_use_certificate",
        "no_reexport",
        "use_limitation",
        "audit_rights",
        "suspend_and_terminate",
    ],
    "University Hospital Lab": ["export_compliance", "no_reexport", "data_handling"],
    "Integrated Security Services LLC": [
        "export_compliance",
        "end_use_certificate",
        "no_reexport",
        "use_limitation",
        "suspend_and_terminate",
    ],
    "Regional Border Guard": [
        "export_compliance",
        "end_use_certificate",
        "no_reexport",
        "use_limitation",
        "data_handling",
        "audit_rights",
        "suspend_and_terminate",
        "human_rights_training",
    ],
}
SHAPES = ("varied", "catalogue", "orderbook")
SHAPES_BY_DEFAULT = ("orderbook", "catalogue", "varied")  # what benchmarks/batch.py runs


# The order-book shape: an exporter's customers and catalogue at a realistic size. Every
# customer is one of the seven end users' profiles (type, sector, relationship to the
# government) in one of these destinations, weighted towards the larger markets; embargoed
# and comprehensively sanctioned countries are left out, as an exporter's order book leaves
# them out.
DESTINATIONS: dict[str, int] = {
    **dict.fromkeys(["US", "DE", "GB", "FR", "JP"], 6),
    **dict.fromkeys(["NL", "ES", "IT", "SE", "PL", "KR", "AU", "CA", "CH", "SG", "AE", "SA", "IN", "BR"], 3),
    **dict.fromkeys(
        ["NO", "MX", "CO", "ZA", "TR", "EG", "KZ", "TH", "MY", "ID", "PH", "VN", "KE", "NG", "MA", "IL"], 2
    ),
    **dict.fromkeys(["HU", "GR", "RS", "CL", "AR", "PE", "BD", "PK", "UZ", "QA", "ET", "RW", "UG", "JO"], 1),
}
ORDERBOOK_CUSTOMERS = 1_500
ORDERBOOK_VARIANTS = 8  # models per product
ORDERBOOK_DISTRIBUTORS = 40
ORDERBOOK_DAYS = 330  # deals dated over most of a year


class _OrderBook:
    """The order book's population, the same for every count and seed: customers (each with
    its framework contract), product models (each with its standard design safeguards) and
    distributors, and how often each comes (a few large customers place most orders)."""

    def __init__(self, seed: int = 1729) -> None:
        import datetime as dt

        rng = random.Random(seed)
        countries = list(DESTINATIONS)
        weights = list(DESTINATIONS.values())
        self.customers: list[tuple[dict[str, Any], list[str]]] = []
        for number in range(ORDERBOOK_CUSTOMERS):
            profile = rng.choice(END_USERS)
            country = rng.choices(countries, weights)[0]
            customer = {**profile, "name": f"{profile['name']} ({country}-{number:04d})", "country": country}
            contract = _amended(rng, FRAMEWORK_CONTRACTS[profile["name"]], CLAUSES, 0.5)
            self.customers.append((customer, contract))
        self.customer_weights = _zipf(len(self.customers))
        self.models: list[tuple[dict[str, Any], str, list[str]]] = []
        for product in PRODUCTS:
            eccn, standard = CATALOGUE[product["name"]]
            for variant in range(1, ORDERBOOK_VARIANTS + 1):
                model = {**product, "name": f"{product['name']}, model {variant}"}
                self.models.append((model, eccn, _amended(rng, standard, SAFEGUARDS, 0.5)))
        rng.shuffle(self.models)  # which models sell most, across the products
        self.model_weights = _zipf(len(self.models))
        self.distributors = [
            {
                "role": "distributor",
                "name": f"Distribution Partner {number:02d}",
                "country": rng.choices(countries, weights)[0],
            }
            for number in range(ORDERBOOK_DISTRIBUTORS)
        ]
        self.distributor_weights = _zipf(len(self.distributors))
        first = dt.date(2026, 1, 5)
        self.dates = [(first + dt.timedelta(days=day)).isoformat() for day in range(ORDERBOOK_DAYS)]


def _zipf(count: int, exponent: float = 0.9) -> list[float]:
    """Cumulative weights of ``count`` members in rank order, the r-th weighing 1/r^exponent."""
    total, cumulative = 0.0, []
    for rank in range(1, count + 1):
        total += 1 / rank**exponent
        cumulative.append(total)
    return cumulative


_ORDERBOOK: list[_OrderBook] = []


def _orderbook() -> _OrderBook:
    if not _ORDERBOOK:
        _ORDERBOOK.append(_OrderBook())
    return _ORDERBOOK[0]


def _amended(rng: random.Random, standard: list[str], universe: list[str], share: float) -> list[str]:
    """The standard list, or (with probability ``share``) one member struck or one added, in
    the universe's order."""
    chosen = set(standard)
    if rng.random() < share:
        extra = [name for name in universe if name not in chosen]
        if chosen and (not extra or rng.random() < 0.5):
            chosen.discard(rng.choice(standard))
        else:
            chosen.add(rng.choice(extra))
    return [name for name in universe if name in chosen]


def transaction(
    rng: random.Random, serial: int, unique_text: bool = False, shape: str = "varied"
) -> dict[str, Any]:
    """One transaction document (schema version 1), of any shape (see the module)."""
    suffix = f" (ref {serial})" if unique_text else ""
    catalogue = shape == "catalogue"
    book = _orderbook() if shape == "orderbook" else None
    items = []
    for index in range(rng.choice((1, 1, 1, 2, 2, 3))):
        if book is not None:
            product, eccn, standard = rng.choices(book.models, cum_weights=book.model_weights)[0]
        else:
            product = rng.choice(PRODUCTS)
        request = rng.choice(REQUESTS)
        if book is not None:
            safeguards = _amended(rng, standard, SAFEGUARDS, 0.25)
        elif catalogue:
            eccn, standard = CATALOGUE[product["name"]]
            safeguards = _amended(rng, standard, SAFEGUARDS, 0.25)
        else:
            eccn = rng.choice(["EAR99", "5A992.c", "5D992.c"])
            safeguards = rng.sample(SAFEGUARDS, rng.randint(0, 5))
        items.append(
            {
                "id": f"I{index + 1}",
                "name": product["name"],
                "description": product["description"] + suffix,
                "eccn": eccn,
                "categories": product["categories"],
                "capabilities": product["capabilities"],
                "design_safeguards": safeguards,
                "customization": "configuration" if request else rng.choice(["none", "configuration"]),
                **({"customization_request": request + suffix} if request else {}),
                "quantity": rng.randint(1, 500),
                "value": {"amount": float(rng.randint(1_000, 2_000_000)), "currency": "USD"},
            }
        )
    if book is not None:
        customer, framework = rng.choices(book.customers, cum_weights=book.customer_weights)[0]
        end_user = dict(customer)
    else:
        end_user = dict(rng.choice(END_USERS))
        framework = FRAMEWORK_CONTRACTS[end_user["name"]]
    end_user["stated_end_use"] = (
        rng.choice(
            [
                "Site security and safety of staff.",
                "Traffic safety enforcement.",
                "Criminal investigations under judicial warrant.",
                "Network quality assurance.",
            ]
        )
        + suffix
    )
    date, parties = (
        "2026-11-02",
        [{"role": "distributor", "name": "Regional Distribution GmbH", "country": "DE"}],
    )
    if book is not None:
        date = rng.choice(book.dates)
        sold_direct = rng.random() < 0.4
        parties = (
            [] if sold_direct else [rng.choices(book.distributors, cum_weights=book.distributor_weights)[0]]
        )
    return {
        "schema_version": 1,
        "id": f"TX-{serial:07d}",
        "date": date,
        "kind": rng.choice(["new_sale", "new_sale", "renewal", "support"]),
        "exporter": {"name": "Example Exports Inc", "country": "US"},
        "items": items,
        "end_user": end_user,
        "parties": parties,
        "contract": {
            "clauses": _amended(rng, framework, CLAUSES, 0.2)
            if catalogue or book is not None
            else rng.sample(CLAUSES, rng.randint(2, len(CLAUSES))),
            "post_export": ["monitoring"],
        },
        "kyc": {"reluctant_end_use_information": False, "evasive_about_reexport": False},
    }


def transactions(
    count: int, seed: int = 2026, unique_text: bool = False, shape: str = "varied"
) -> Iterator[dict[str, Any]]:
    if shape not in SHAPES:
        raise ValueError(f"unknown corpus shape {shape!r}: one of {', '.join(SHAPES)}")
    rng = random.Random(seed)
    for serial in range(count):
        yield transaction(rng, serial, unique_text, shape)
