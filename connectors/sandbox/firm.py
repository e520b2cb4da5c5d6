"""A synthetic but realistic consulting firm, generated deterministically from a seed.

`generate_firm(seed, scale)` returns a canonical `Firm`: clients (with hierarchies), projects,
people, assignments, a year of time, invoices, payments and effective-dated cost rates. All
dates are anchored to the calendar year 2026 (the data is "as of" 2026-12-31), never to the
wall clock, so the same seed and scale give the same firm on every machine and every run.

Money conventions: a person's default bill rate and cost rates are in their office's
currency; project bill rates, assignment overrides, budgets, invoices and payments are in the
client's currency. A person billed to a client in another currency is billed at their default
rate converted with the fixed `FX_PER_USD` table (see `effective_bill_rate`).
"""

from __future__ import annotations

import random
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TypeVar

from connectors.sandbox import _names as names
from golden_records.canonical import (
    Address,
    ApprovalState,
    Assignment,
    BillingType,
    Client,
    ClientStatus,
    CostRate,
    EmploymentType,
    Firm,
    Invoice,
    InvoiceStatus,
    Payment,
    Project,
    ProjectStatus,
    Resource,
    ResourceStatus,
    TimeEntry,
)

YEAR_START = date(2026, 1, 1)
YEAR_END = date(2026, 12, 31)
AS_OF = YEAR_END  # statuses (paid, overdue, approved) are as seen on this day

FIRM_NAME = "Brightline Partners"
FIRM_EMAIL_DOMAIN = "brightlinepartners.com"

# Fixed exchange rates: generated data must not depend on a live feed.
FX_PER_USD = {
    "USD": Decimal("1"),
    "CAD": Decimal("1.36"),
    "GBP": Decimal("0.79"),
    "EUR": Decimal("0.92"),
}

BASE_CLIENTS = 300
BASE_PROJECTS = 700
BASE_PEOPLE = 250

_CENT = Decimal("0.01")
_UNIT = Decimal("1")
_HOLIDAYS = frozenset({date(2026, 1, 1), date(2026, 12, 25), date(2026, 12, 26)})
# Hours in quarter-hour units, converted once: Decimal construction is the hot path.
_QUARTERS = [Decimal(q) / 4 for q in range(0, 49)]
_NOTES = (
    None,
    None,
    None,
    "Workshop preparation",
    "Client meeting",
    "Status report",
    "Requirements review",
    "Testing",
    "Data analysis",
    "Steering committee",
    "Documentation",
    "Internal sync",
)

T = TypeVar("T")


def generate_firm(seed: int = 7, scale: float = 1.0) -> Firm:
    """The firm for `seed`, with counts multiplied by `scale` (1.0 ≈ 300 clients)."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    return _FirmBuilder(seed, scale).build()


def convert(amount: Decimal, from_currency: str, to_currency: str) -> Decimal:
    """`amount` in another currency at the generator's fixed rates, to whole units."""
    if from_currency == to_currency:
        return amount
    return (amount * FX_PER_USD[to_currency] / FX_PER_USD[from_currency]).quantize(_UNIT)


def effective_bill_rate(
    project: Project, resource: Resource, assignment: Assignment | None
) -> Decimal | None:
    """The hourly rate time is billed at: assignment override, else project rate, else the
    person's default rate converted to the project's currency."""
    if assignment is not None and assignment.bill_rate is not None:
        return assignment.bill_rate
    if project.bill_rate is not None:
        return project.bill_rate
    if resource.default_bill_rate is None:
        return None
    return convert(resource.default_bill_rate, resource.currency, project.currency)


def _quota(rng: random.Random, n: int, weights: Sequence[tuple[T, float]]) -> list[T]:
    """`n` values in the given proportions (each at least once when n allows), shuffled.

    Exact proportions rather than independent draws, so small firms still show every value.
    """
    total = sum(w for _, w in weights)
    counts = [max(1, int(n * w / total)) if n >= len(weights) else 0 for _, w in weights]
    order = sorted(range(len(weights)), key=lambda i: -weights[i][1])
    i = 0
    while sum(counts) < n:
        counts[order[i % len(order)]] += 1
        i += 1
    while sum(counts) > n:
        j = order[i % len(order)]
        if counts[j] > 1:
            counts[j] -= 1
        i += 1
    values = [v for (v, _), c in zip(weights, counts, strict=True) for _ in range(c)]
    rng.shuffle(values)
    return values


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _slug(text: str) -> str:
    return "".join(ch for ch in _ascii(text.replace("&", "and")).lower() if ch.isalnum())


def _pattern(rng: random.Random, pattern: str) -> str:
    """Fill a pattern: # -> digit, ? -> capital letter, anything else is kept."""
    out = []
    for ch in pattern:
        if ch == "#":
            out.append(str(rng.randrange(10)))
        elif ch == "?":
            out.append(chr(65 + rng.randrange(26)))
        else:
            out.append(ch)
    return "".join(out)


def _day_between(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _month_end(day: date) -> date:
    nxt = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def _address(rng: random.Random, country: str, city: str | None = None) -> Address:
    cities, street_types = names.COUNTRIES[country]
    matching = [c for c in cities if c[0] == city]
    city_name, region, postal = matching[0] if matching else rng.choice(cities)
    street, kind = rng.choice(names.STREET_NAMES), rng.choice(street_types)
    number = rng.randint(1, 480)
    if country in ("DE", "NL"):
        line1 = f"{street}{kind} {number}"
    elif country == "FR":
        line1 = f"{number} {kind} {street}"
    else:
        line1 = f"{number} {street} {kind}"
    line2 = rng.choice((None,) * 8 + ("Suite 400", "Floor 3", "Unit 12"))
    return Address(
        line1=line1,
        line2=line2,
        city=city_name,
        region=region,
        postal_code=_pattern(rng, postal),
        country=country,
    )


def _national_id(rng: random.Random, country: str, dob: date) -> str:
    if country == "US":
        area = rng.randint(101, 665)  # 666 and 9xx are never issued
        return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
    if country == "CA":
        return _pattern(rng, f"{rng.randint(1, 7)}## ### ###")
    if country == "GB":
        letters = "ABCEGHJKLMNPRSTWXYZ"
        return (
            rng.choice(letters) + rng.choice(letters) + _pattern(rng, "######") + rng.choice("ABCD")
        )
    if country == "FR":
        # INSEE number: sex, birth year and month, department, commune, order, then key.
        body = (
            f"{rng.randint(1, 2)}{dob.year % 100:02d}{dob.month:02d}"
            f"{rng.randint(1, 95):02d}{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
        )
        return f"{body}{97 - int(body) % 97:02d}"
    return str(rng.randint(1, 9)) + _pattern(rng, "##########")  # DE Steuer-ID


def _tax_id(rng: random.Random, country: str) -> str:
    return _pattern(
        rng,
        {
            "US": "##-#######",
            "CA": "#########RT0001",
            "GB": "GB#########",
            "DE": "DE#########",
            "FR": "FR###########",
            "NL": "NL#########B01",
        }[country],
    )


def _phone(rng: random.Random, country: str) -> str:
    return _pattern(
        rng,
        {
            "US": "+1 (###) 555-####",
            "CA": "+1 (###) 555-####",
            "GB": "+44 20 7946 ####",
            "DE": "+49 30 ########",
            "FR": "+33 1 ## ## ## ##",
            "NL": "+31 20 ### ####",
        }[country],
    )


@dataclass(slots=True)
class _Work:
    """Internal bookkeeping for one assignment: its 2026 working window and billing rate."""

    assignment: Assignment
    project: Project
    first: int  # date ordinals, inclusive
    last: int
    weight: float
    rate: Decimal | None


class _FirmBuilder:
    def __init__(self, seed: int, scale: float) -> None:
        self.rng = random.Random(seed)
        self.n_people = max(8, round(BASE_PEOPLE * scale))
        self.n_clients = max(5, round(BASE_CLIENTS * scale))
        self.n_projects = max(10, round(BASE_PROJECTS * scale))
        self.firm = Firm(name=FIRM_NAME)
        self.by_key: dict[str, Resource] = {}
        self.level: dict[str, int] = {}
        self.country: dict[str, str] = {}
        self.last_working_day: dict[str, date] = {}  # leave or termination stops time
        self.project_window: dict[str, tuple[date, date]] = {}  # 2026 dates with work
        self._level_seen = 0
        self._seniors = 0
        self._dept_seniors: dict[str, int] = {}
        self._by_department: dict[str, list[str]] = defaultdict(list)

    def build(self) -> Firm:
        self._people()
        self._cost_rates()
        self._clients()
        self._projects()
        works = self._assignments()
        billed, months = self._time(works)
        self._invoices(billed, months)
        return self.firm

    # -- people -------------------------------------------------------------------------

    def _people(self) -> None:
        rng = self.rng
        titles = [t for t in names.TITLES if t[0] != "Chief Operating Officer"]
        weights = [30 / t[2] if t[3] else 6 / t[2] for t in titles]
        picked = [
            ("Partner", "Consulting", 7, 475),
            ("Chief Operating Officer", "Operations", 7, 0),
        ]
        picked += rng.choices(titles, weights, k=self.n_people - len(picked))
        picked.sort(key=lambda t: -t[2])  # seniors first, so managers exist before reports
        # The first person (the managing partner, root of the org chart) is always active.
        statuses = [
            ResourceStatus.ACTIVE,
            *_quota(
                rng,
                self.n_people - 1,
                [
                    (ResourceStatus.ACTIVE, 85),
                    (ResourceStatus.ON_LEAVE, 5),
                    (ResourceStatus.TERMINATED, 10),
                ],
            ),
        ]
        kinds = [
            EmploymentType.EMPLOYEE,
            *_quota(
                rng,
                self.n_people - 1,
                [(EmploymentType.EMPLOYEE, 88), (EmploymentType.CONTRACTOR, 12)],
            ),
        ]
        emails: set[str] = set()
        ids: set[str] = set()
        people = self.firm.resources
        for i, (title, department, level, usd_rate) in enumerate(picked):
            key = f"resource-{i + 1:05d}"
            office, country, region, currency = rng.choices(names.OFFICES, (30, 15, 15, 20, 12, 8))[
                0
            ]
            given, family = rng.choice(names.GIVEN_NAMES), rng.choice(names.FAMILY_NAMES)
            local = _slug(given) + "." + _slug(family)
            email, n = f"{local}@{FIRM_EMAIL_DOMAIN}", 1
            while email in emails:
                n += 1
                email = f"{local}{n}@{FIRM_EMAIL_DOMAIN}"
            emails.add(email)
            status, kind = statuses[i], kinds[i]
            if i == 0:
                hire = date(2009, 3, 2)
            elif rng.random() < 0.15:
                hire = _day_between(rng, YEAR_START, date(2026, 10, 30))
            else:
                hire = _day_between(rng, date(2026 - 2 * level - 4, 1, 1), date(2025, 12, 15))
            termination = None
            if status is ResourceStatus.TERMINATED:
                termination = _day_between(
                    rng, max(hire + timedelta(days=45), date(2026, 2, 1)), date(2026, 12, 15)
                )
                self.last_working_day[key] = termination
            elif status is ResourceStatus.ON_LEAVE:
                # Leave starts after two months in the job (late hires: late in December).
                earliest = max(hire + timedelta(days=60), date(2026, 3, 1))
                leave = _day_between(rng, earliest, max(earliest, date(2026, 12, 1)))
                self.last_working_day[key] = leave - timedelta(days=1)
            dob = date(
                rng.randint(1960, min(hire.year - 22, 2003)), rng.randint(1, 12), rng.randint(1, 28)
            )
            national_id: str | None = None
            if kind is EmploymentType.EMPLOYEE:
                national_id = _national_id(rng, country, dob)
                while national_id in ids:
                    national_id = _national_id(rng, country, dob)
                ids.add(national_id)
            rate = None
            if usd_rate:
                rate = Decimal(
                    round(usd_rate * float(FX_PER_USD[currency]) * rng.uniform(0.95, 1.1) / 5) * 5
                )
            skills = rng.sample(names.SKILLS, rng.randint(2, 6) if rate else rng.randint(0, 2))
            person = Resource(
                key=key,
                given_name=given,
                family_name=family,
                email=email,
                title=title,
                department=department,
                employment_type=kind,
                status=status,
                hire_date=hire,
                office=office,
                region=region,
                phone=_phone(rng, country),
                manager=self._manager_for(i, department, level),
                termination_date=termination,
                date_of_birth=dob if kind is EmploymentType.EMPLOYEE else None,
                national_id=national_id,
                home_address=_address(rng, country, office),
                default_bill_rate=rate,
                currency=currency,
                skills=skills,
            )
            people.append(person)
            self.by_key[key] = person
            self.level[key] = level
            self.country[key] = country

    def _manager_for(self, i: int, department: str, level: int) -> str | None:
        """Someone more senior, from the same department when there is one.

        People arrive sorted by level, so the seniors are everyone seen before the first
        person of this level: snapshot those counts once per level instead of rescanning.
        """
        if level != self._level_seen:
            self._level_seen = level
            self._seniors = i
            self._dept_seniors = {d: len(keys) for d, keys in self._by_department.items()}
        same = self._by_department[department][: self._dept_seniors.get(department, 0)]
        self._by_department[department].append(f"resource-{i + 1:05d}")
        if i == 0:
            return None
        if same:
            return self.rng.choice(same)
        return self.firm.resources[self.rng.randrange(max(self._seniors, 1))].key

    def _cost_rates(self) -> None:
        rng = self.rng
        for i, person in enumerate(self.firm.resources):
            level = self.level[person.key]
            if person.default_bill_rate is not None:
                share = 0.7 if person.employment_type is EmploymentType.CONTRACTOR else 0.45
                cost = float(person.default_bill_rate) * share * rng.uniform(0.9, 1.1)
            else:
                cost = (25 + 18 * level) * float(FX_PER_USD[person.currency])
            first = max(person.hire_date, YEAR_START) + timedelta(days=14)
            last = (person.termination_date or YEAR_END) - timedelta(days=14)
            changes: list[date] = []
            n_changes = rng.choices((0, 1, 2), (40, 40, 20))[0]
            if i == 0:
                # Always one mid-month change: payroll changes take effect on any day, and
                # consumers must not assume month boundaries.
                changes = [date(2026, 4, 1), date(2026, 9, 15)]
            elif first < last:
                for _ in range(n_changes):
                    day = _day_between(rng, first, last)
                    day = day.replace(day=1) if rng.random() < 0.5 else day
                    if first <= day <= last and day not in changes:
                        changes.append(day)
            changes.sort()
            starts = [person.hire_date, *changes]
            for j, start in enumerate(starts):
                end = (
                    starts[j + 1] - timedelta(days=1)
                    if j + 1 < len(starts)
                    else person.termination_date
                )
                self.firm.cost_rates.append(
                    CostRate(
                        key=f"cost-rate-{len(self.firm.cost_rates) + 1:06d}",
                        resource=person.key,
                        effective_from=start,
                        effective_to=end,
                        hourly_cost=Decimal(cost).quantize(_CENT),
                        currency=person.currency,
                    )
                )
                cost *= rng.uniform(1.02, 1.08)

    # -- clients ------------------------------------------------------------------------

    def _clients(self) -> None:
        rng = self.rng
        n = self.n_clients
        statuses = _quota(
            rng,
            n,
            [(ClientStatus.ACTIVE, 78), (ClientStatus.PROSPECT, 10), (ClientStatus.INACTIVE, 12)],
        )
        owners = [
            p.key
            for p in self.firm.resources
            if self.level[p.key] >= 4 and p.status is not ResourceStatus.TERMINATED
        ] or [self.firm.resources[0].key]
        taken: set[str] = set()
        tax_ids: set[str] = set()
        for i in range(n):
            country = rng.choices(tuple(names.COUNTRY_CURRENCY), (45, 12, 18, 12, 8, 5))[0]
            industry = rng.choice(names.INDUSTRIES)
            name = self._company_name(industry, taken)
            status = statuses[i]
            tax_id = None
            if status is not ClientStatus.PROSPECT or rng.random() < 0.3:
                tax_id = _tax_id(rng, country)
                while tax_id in tax_ids:
                    tax_id = _tax_id(rng, country)
                tax_ids.add(tax_id)
            self.firm.clients.append(
                Client(
                    key=f"client-{i + 1:05d}",
                    name=name,
                    legal_name=f"{name} {rng.choice(names.LEGAL_SUFFIXES[country])}",
                    website=self._website(name, country),
                    industry=industry,
                    status=status,
                    currency=names.COUNTRY_CURRENCY[country],
                    payment_terms=rng.choice(names.PAYMENT_TERMS)
                    if status is not ClientStatus.PROSPECT
                    else None,
                    tax_id=tax_id,
                    billing_address=_address(rng, country),
                    account_owner=rng.choice(owners) if rng.random() < 0.95 else None,
                )
            )
        self._hierarchies(taken)

    def _company_name(self, industry: str, taken: set[str]) -> str:
        rng = self.rng
        for attempt in range(30):
            words = names.SECTOR_WORDS[industry]
            r = rng.random()
            if r < 0.6:
                name = f"{rng.choice(names.NAME_STEMS)} {rng.choice(words)}"
            elif r < 0.85:
                name = f"{rng.choice(names.FAMILY_NAMES)} {rng.choice(words)}"
            else:
                name = f"{rng.choice(names.FAMILY_NAMES)} & {rng.choice(names.FAMILY_NAMES)}"
            if attempt > 20:
                name = f"{name} {rng.choice(names.SUBSIDIARY_SUFFIXES)}"
            if name not in taken:
                taken.add(name)
                return name
        name = f"{name} {len(taken)}"
        taken.add(name)
        return name

    def _website(self, name: str, country: str) -> str | None:
        r = self.rng.random()
        if r < 0.05:
            return None
        host = ("" if r < 0.15 else "www.") + _slug(name) + names.WEB_TLDS[country]
        return f"https://{host}"

    def _hierarchies(self, taken: set[str]) -> None:
        """Make ~10% of clients subsidiaries, named after their parent; a few two deep."""
        rng = self.rng
        clients = self.firm.clients
        order = list(range(len(clients)))
        rng.shuffle(order)
        n_children = max(1, round(len(clients) * 0.1))
        roots, children = order[n_children:], order[:n_children]
        done: list[int] = []
        for c in children:
            parent = clients[rng.choice(done if done and rng.random() < 0.15 else roots)]
            child = clients[c]
            base = parent.name
            for suffix in rng.sample(names.SUBSIDIARY_SUFFIXES, len(names.SUBSIDIARY_SUFFIXES)):
                if f"{base} {suffix}" not in taken:
                    break
            taken.discard(child.name)
            child.name = f"{base} {suffix}"
            taken.add(child.name)
            country = child.billing_address.country if child.billing_address else "US"
            child.legal_name = f"{child.name} {rng.choice(names.LEGAL_SUFFIXES[country])}"
            child.website = self._website(child.name, country)
            child.industry = parent.industry
            child.parent = parent.key
            if parent.status is ClientStatus.PROSPECT:
                child.status = ClientStatus.PROSPECT
            done.append(c)

    # -- projects -----------------------------------------------------------------------

    def _projects(self) -> None:
        rng = self.rng
        n = self.n_projects
        S, B = ProjectStatus, BillingType
        statuses = _quota(
            rng,
            n,
            [(S.ACTIVE, 48), (S.COMPLETED, 26), (S.PROPOSED, 10), (S.ON_HOLD, 9), (S.CANCELLED, 7)],
        )
        billing = _quota(
            rng, n, [(B.TIME_AND_MATERIALS, 55), (B.FIXED_FEE, 30), (B.NON_BILLABLE, 15)]
        )
        by_status: dict[ClientStatus, list[Client]] = defaultdict(list)
        for client in self.firm.clients:
            by_status[client.status].append(client)
        active = by_status[ClientStatus.ACTIVE] or self.firm.clients
        pools = {
            S.PROPOSED: active + by_status[ClientStatus.PROSPECT],
            S.ACTIVE: active,
            S.ON_HOLD: active,
            S.COMPLETED: active + by_status[ClientStatus.INACTIVE],
            S.CANCELLED: active + by_status[ClientStatus.INACTIVE],
        }
        managers = [
            p.key
            for p in self.firm.resources
            if self.level[p.key] >= 4 and p.default_bill_rate is not None
        ]
        topic_names: set[tuple[str, str]] = set()
        for i in range(n):
            status, billing_type = statuses[i], billing[i]
            client = rng.choice(pools[status])
            start, end, stop = self._project_dates(status)
            if stop is not None and stop >= YEAR_START and start <= YEAR_END:
                self.project_window[f"project-{i + 1:05d}"] = (max(start, YEAR_START), stop)
            name = f"{rng.choice(names.PROJECT_TOPICS)} {rng.choice(names.PROJECT_KINDS)}"
            phase = 1
            while (client.key, name if phase == 1 else f"{name} Phase {phase}") in topic_names:
                phase += 1
            name = name if phase == 1 else f"{name} Phase {phase}"
            topic_names.add((client.key, name))
            hours = Decimal(rng.randrange(8, 300) * 10)
            blended = Decimal(220) * FX_PER_USD[client.currency]
            budget_amount = bill_rate = None
            if billing_type is B.FIXED_FEE:
                budget_amount = (hours * blended * Decimal("1.1")).quantize(Decimal("1E3"))
            elif billing_type is B.TIME_AND_MATERIALS:
                if rng.random() < 0.75:
                    budget_amount = (hours * blended).quantize(Decimal("1E3"))
                if rng.random() < 0.2:
                    bill_rate = Decimal(round(float(blended) * rng.uniform(0.9, 1.2) / 5) * 5)
            self.firm.projects.append(
                Project(
                    key=f"project-{i + 1:05d}",
                    client=client.key,
                    name=name,
                    code="",
                    status=status,
                    billing_type=billing_type,
                    start_date=start,
                    end_date=end,
                    currency=client.currency,
                    budget_hours=hours,
                    budget_amount=budget_amount.quantize(_CENT) if budget_amount else None,
                    bill_rate=bill_rate,
                    project_manager=rng.choice(managers) if managers else None,
                )
            )
        self._project_codes()

    def _project_dates(self, status: ProjectStatus) -> tuple[date, date | None, date | None]:
        """(start, end, last day of work in 2026 or None)."""
        rng = self.rng
        S = ProjectStatus
        if status is S.PROPOSED:
            start = _day_between(rng, date(2027, 1, 4), date(2027, 4, 30))
            return start, start + timedelta(days=rng.randint(60, 270)), None
        if status is S.COMPLETED:
            end = _day_between(rng, date(2026, 1, 31), date(2026, 12, 15))
            return end - timedelta(days=rng.randint(30, 360)), end, end
        if status is S.CANCELLED:
            start = _day_between(rng, date(2025, 9, 1), date(2026, 10, 31))
            end = min(start + timedelta(days=rng.randint(15, 120)), AS_OF)
            return start, end, end
        start = _day_between(rng, date(2025, 3, 1), date(2026, 11, 15))
        planned: date | None = max(
            start + timedelta(days=rng.randint(60, 420)),
            AS_OF + timedelta(days=rng.randint(1, 180)),
        )
        if rng.random() < 0.2:
            planned = None
        if status is S.ON_HOLD:
            hold = (
                _day_between(rng, max(start + timedelta(days=20), YEAR_START), date(2026, 11, 30))
                if start < date(2026, 11, 10)
                else start
            )
            return start, planned, hold
        return start, planned, YEAR_END

    def _project_codes(self) -> None:
        """Codes like ACME-2026-003: a per-client prefix, the start year, a sequence."""
        prefixes: dict[str, str] = {}
        used: set[str] = set()
        for client in self.firm.clients:
            base = (_slug(client.name.split()[0]) or "CLNT")[:4].upper()
            prefix, n = base, 1
            while prefix in used:
                n += 1
                prefix = f"{base}{n}"
            used.add(prefix)
            prefixes[client.key] = prefix
        sequence: dict[tuple[str, int], int] = defaultdict(int)
        for project in sorted(self.firm.projects, key=lambda p: (p.start_date, p.key)):
            year = project.start_date.year
            sequence[project.client, year] += 1
            project.code = f"{prefixes[project.client]}-{year}-{sequence[project.client, year]:03d}"

    # -- assignments and time -----------------------------------------------------------

    def _person_window(self, person: Resource) -> tuple[date, date]:
        return (
            max(person.hire_date, YEAR_START),
            min(self.last_working_day.get(person.key, YEAR_END), YEAR_END),
        )

    def _assignments(self) -> list[_Work]:
        rng = self.rng
        delivery = [p for p in self.firm.resources if p.default_bill_rate is not None]
        windows = {p.key: self._person_window(p) for p in delivery}
        load: dict[str, float] = defaultdict(float)
        allocations = [
            Decimal(a) for a in ("0.2", "0.25", "0.4", "0.5", "0.6", "0.75", "0.8", "1.0")
        ]
        works: list[_Work] = []
        for project in self.firm.projects:
            window = self.project_window.get(project.key)
            if window is None:
                continue
            first, last = window

            def available(person: Resource, first: date = first, last: date = last) -> bool:
                return windows[person.key][0] <= last - timedelta(days=4) and windows[person.key][
                    1
                ] >= first + timedelta(days=4)

            size = rng.randint(2, 6)
            # Draw a few candidates rather than scanning everyone: linear in projects.
            picks = rng.sample(delivery, min(len(delivery), size * 4))
            candidates = [p for p in picks if available(p)]
            team = sorted(candidates, key=lambda p: load[p.key])[:size]
            manager = self.by_key.get(project.project_manager or "")
            if manager is not None and available(manager) and manager not in team:
                team = [manager, *team[: size - 1]]
            for person in team:
                a_first = max(first, windows[person.key][0])
                a_last = min(last, windows[person.key][1])
                role = (
                    "Project Manager"
                    if person.key == project.project_manager
                    else rng.choice(names.ASSIGNMENT_ROLES)
                )
                allocation = rng.choice(allocations)
                override = None
                if rng.random() < 0.1 and project.billing_type is not BillingType.NON_BILLABLE:
                    base = convert(
                        person.default_bill_rate or Decimal(0), person.currency, project.currency
                    )
                    override = Decimal(round(float(base) * rng.uniform(0.85, 0.95) / 5) * 5)
                assignment = Assignment(
                    key=f"assignment-{len(self.firm.assignments) + 1:06d}",
                    project=project.key,
                    resource=person.key,
                    role=role,
                    allocation=allocation,
                    start_date=max(project.start_date, person.hire_date),
                    end_date=min(
                        d for d in (project.end_date, person.termination_date) if d is not None
                    )
                    if project.end_date or person.termination_date
                    else None,
                    bill_rate=override,
                )
                self.firm.assignments.append(assignment)
                works.append(
                    _Work(
                        assignment,
                        project,
                        a_first.toordinal(),
                        a_last.toordinal(),
                        float(allocation),
                        effective_bill_rate(project, person, assignment),
                    )
                )
                load[person.key] += (a_last - a_first).days * float(allocation)
        return works

    def _time(
        self, works: list[_Work]
    ) -> tuple[dict[tuple[str, int], Decimal], dict[str, list[int]]]:
        """Roughly one entry per person per working day, split across their assignments.

        Returns what T&M invoicing needs (approved billable amount per project and month) and
        the months each project had any time in (fixed-fee milestones fall in those).
        """
        rng = self.rng
        days = [YEAR_START + timedelta(days=d) for d in range((YEAR_END - YEAR_START).days + 1)]
        working = [(d.toordinal(), d) for d in days if d.weekday() < 5 and d not in _HOLIDAYS]
        by_person: dict[str, list[_Work]] = defaultdict(list)
        for work in works:
            by_person[work.assignment.resource].append(work)
        billed: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
        months: dict[str, set[int]] = defaultdict(set)
        entries = self.firm.time_entries
        approved, submitted, draft, rejected = (
            ApprovalState.APPROVED,
            ApprovalState.SUBMITTED,
            ApprovalState.DRAFT,
            ApprovalState.REJECTED,
        )
        dec_1, dec_18 = date(2026, 12, 1).toordinal(), date(2026, 12, 18).toordinal()
        rand, choices = rng.random, rng.choices
        for person in self.firm.resources:
            mine = by_person.get(person.key)
            if not mine:
                continue
            first = min(w.first for w in mine)
            last = max(w.last for w in mine)
            for ordinal, day in working:
                if ordinal < first or ordinal > last or rand() < 0.05:  # 5%: holiday, sick
                    continue
                active = [w for w in mine if w.first <= ordinal <= w.last]
                if not active:
                    continue
                total = choices((28, 30, 32, 32, 32, 34, 36))[0]  # quarter hours
                if len(active) > 1 and rand() < 0.35:
                    a, b = rng.sample(active, 2)
                    part = rng.randint(8, total - 8)
                    split: tuple[tuple[_Work, int], ...] = ((a, part), (b, total - part))
                else:
                    pick = (
                        active[0]
                        if len(active) == 1
                        else choices(active, [w.weight for w in active])[0]
                    )
                    split = ((pick, total),)
                r = rand()
                if ordinal >= dec_18:
                    state = draft if r < 0.4 else submitted if r < 0.8 else approved
                elif ordinal >= dec_1:
                    state = submitted if r < 0.3 else approved
                else:
                    state = rejected if r < 0.02 else approved
                for work, quarters in split:
                    project = work.project
                    billing_type = project.billing_type
                    billable = billing_type is BillingType.FIXED_FEE or (
                        billing_type is BillingType.TIME_AND_MATERIALS and rand() >= 0.03
                    )
                    hours = _QUARTERS[quarters]
                    entries.append(
                        TimeEntry(
                            key=f"time-{len(entries) + 1:08d}",
                            project=project.key,
                            resource=person.key,
                            date=day,
                            hours=hours,
                            billable=billable,
                            approval_state=state,
                            notes=rng.choice(_NOTES),
                        )
                    )
                    months[project.key].add(day.month)
                    if (
                        billable
                        and state is approved
                        and work.rate is not None
                        and billing_type is BillingType.TIME_AND_MATERIALS
                    ):
                        billed[project.key, day.month] += hours * work.rate
        return billed, {k: sorted(v) for k, v in months.items()}

    # -- invoices and payments ----------------------------------------------------------

    def _invoices(
        self, billed: dict[tuple[str, int], Decimal], months: dict[str, list[int]]
    ) -> None:
        rng = self.rng
        drafts: list[tuple[date, str, Decimal]] = [
            (_month_end(date(2026, month, 1)), key, amount.quantize(_CENT))
            for (key, month), amount in billed.items()
            if amount > 0
        ]
        for project in self.firm.projects:
            worked = months.get(project.key)
            if (
                project.billing_type is not BillingType.FIXED_FEE
                or not worked
                or project.budget_amount is None
            ):
                continue
            count = min(len(worked), rng.randint(2, 4))
            # Milestones spread evenly over the months worked, the last one on the last month.
            picks = sorted(
                {worked[round(j * (len(worked) - 1) / max(count - 1, 1))] for j in range(count)}
            )
            share = (project.budget_amount / count).quantize(_CENT)
            for month in picks:
                drafts.append((_month_end(date(2026, month, 1)), project.key, share))
        drafts.sort()
        projects = {p.key: p for p in self.firm.projects}
        clients = {c.key: c for c in self.firm.clients}
        for n, (issue, project_key, amount) in enumerate(drafts):
            project = projects[project_key]
            client = clients[project.client]
            # Issued by mistake, voided, then reissued: ~1%, and at least once in any firm.
            if rng.random() < 0.01 or n == len(drafts) // 2:
                self._invoice(client, project, issue, amount, InvoiceStatus.VOID)
            self._invoice(client, project, issue, amount, None)

    def _invoice(
        self,
        client: Client,
        project: Project,
        issue: date,
        amount: Decimal,
        status: InvoiceStatus | None,
    ) -> None:
        rng = self.rng
        due = issue + timedelta(days=names.PAYMENT_TERM_DAYS[client.payment_terms or "NET_30"])
        paid = Decimal(0)
        if status is None:
            r = rng.random()
            if issue >= date(2026, 12, 1):
                status = InvoiceStatus.DRAFT if r < 0.5 else InvoiceStatus.SENT
            elif due >= AS_OF:
                status = InvoiceStatus.PAID if r < 0.3 else InvoiceStatus.SENT
            else:
                status = (
                    InvoiceStatus.PAID
                    if r < 0.8
                    else InvoiceStatus.PARTIALLY_PAID
                    if r < 0.88
                    else InvoiceStatus.SENT
                )
        invoice = Invoice(
            key=f"invoice-{len(self.firm.invoices) + 1:06d}",
            client=client.key,
            project=project.key,
            number=f"INV-{issue.year}-{len(self.firm.invoices) + 1:05d}",
            issue_date=issue,
            due_date=due,
            currency=client.currency,
            total_amount=amount,
            balance=Decimal(0) if status is InvoiceStatus.VOID else amount,
            status=status,
        )
        self.firm.invoices.append(invoice)
        if status is InvoiceStatus.PAID:
            if rng.random() < 0.15:
                first = (amount * Decimal(rng.uniform(0.3, 0.7))).quantize(_CENT)
                self._payment(invoice, first)
                self._payment(invoice, amount - first)
            else:
                self._payment(invoice, amount)
            paid = amount
        elif status is InvoiceStatus.PARTIALLY_PAID:
            paid = (amount * Decimal(rng.uniform(0.3, 0.7))).quantize(_CENT)
            self._payment(invoice, paid)
        if status is not InvoiceStatus.VOID:
            invoice.balance = amount - paid

    def _payment(self, invoice: Invoice, amount: Decimal) -> None:
        rng = self.rng
        latest = min(invoice.due_date + timedelta(days=20), AS_OF)
        day = _day_between(rng, min(invoice.issue_date + timedelta(days=3), latest), latest)
        n = len(self.firm.payments) + 1
        method = rng.choice(("ACH", "ACH", "WIRE", "CHK"))
        self.firm.payments.append(
            Payment(
                key=f"payment-{n:06d}",
                client=invoice.client,
                invoice=invoice.key,
                date=day,
                currency=invoice.currency,
                amount=amount,
                reference=f"{method}-{100000 + n}",
            )
        )
