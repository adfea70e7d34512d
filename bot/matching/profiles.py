"""Partner profiles: reading them from CSV and JSON, checking them, storing them.

Files are checked whole before anything is written. By default an import is
all-or-nothing: one bad row and nothing is stored, every bad row reported with
its line number. `skip_invalid` stores the good rows and reports the others.
Either way the rows go in with one transaction; importing the same names
again updates them (names compared case- and accent-insensitively).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy import text as sql_text
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from bot.kernel import csv_safe
from bot.kernel.errors import UserError
from bot.kernel.i18n import Translator
from bot.kernel.number_reader import read_number
from bot.kernel.parsing import fold
from bot.kernel.types import Tenant
from storage.models import Counter, PartnerContact, PartnerProfile

# Profile attributes stored as columns of the same name.
STORED = (
    "name",
    "description",
    "sectors",
    "audience",
    "geography",
    "channels",
    "resources",
    "needs",
    "culture",
    "objectives",
    "website",
)


# The columns of a CSV file, in export order (a JSON object uses the same keys,
# with a list of "contacts" instead of, or as well as, the contact_* columns).
COLUMNS = (*STORED[:-1], "contact_name", "contact_role", "contact_email", "website")
# Counter scope bumped on every write: the matching index cache keys on it.
REVISION_SCOPE = "partner_directory"

# Above this many rows an import takes the bulk paths (see `store`).
BULK = 2000
MAX_NAME = 200
MAX_DESCRIPTION = 5000
MAX_TAG = 80
MAX_TAGS = 50
MAX_CHANNELS = 30
MAX_AUDIENCE = 10_000_000_000
_EMAIL_RE = re.compile(r"^[^@\s;]+@[^@\s;]+\.[^@\s;]+$")
_URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_DOMAIN_RE = re.compile(r"^[\w-]+(\.[\w-]+)+(/\S*)?$")
_GEO_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]{1,3}(-[A-Za-z0-9]{1,4})?$")


@dataclass(slots=True)
class Contact:
    name: str = ""
    role: str = ""
    email: str | None = None


@dataclass(slots=True)
class Profile:
    """A profile as read from a file or typed in chat, before it is stored."""

    name: str
    description: str = ""
    sectors: list[str] = field(default_factory=list)
    audience: list[str] = field(default_factory=list)
    geography: list[str] = field(default_factory=list)
    channels: dict[str, int] = field(default_factory=dict)
    resources: list[str] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)
    culture: list[str] = field(default_factory=list)
    objectives: list[str] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    website: str | None = None

    @property
    def key(self) -> str:
        return name_key(self.name)

    @property
    def total_audience(self) -> int:
        return sum(self.channels.values())


class ProfileError(Exception):
    """A value that cannot be stored; `key` is a catalog key under `matching.invalid`."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def message(self, t: Translator) -> str:
        return t(f"matching.invalid.{self.key}", **self.params)


@dataclass(slots=True)
class RowError:
    line: int
    error: ProfileError
    # A JSON array's element (1-based): a one-line file has every element on line 1.
    item: int | None = None

    def message(self, t: Translator) -> str:
        if self.item is not None:
            return t(
                "matching.edges.item_error",
                item=self.item,
                line=self.line,
                reason=self.error.message(t),
            )
        return t("matching.import.row_error", line=self.line, reason=self.error.message(t))


@dataclass(slots=True)
class Parsed:
    """What a file holds: good rows with their line numbers, and bad rows."""

    rows: list[tuple[int, Profile]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    own: Profile | None = None  # a JSON file's "own_profile", if any

    @property
    def profiles(self) -> list[Profile]:
        return [p for _, p in self.rows]


@dataclass(slots=True)
class Imported:
    created: int = 0
    updated: int = 0


def name_key(name: str) -> str:
    return " ".join(fold(name).split())[:MAX_NAME]


# -- values -------------------------------------------------------------------


@lru_cache(maxsize=65_536)
def _clean_tag(text: str) -> tuple[str, str]:
    """(tag with spaces collapsed, its folded key). Cached: files repeat tags a lot."""
    clean = " ".join(text.split())
    return clean, fold(clean)


def split_multi(value: object, *, label: str) -> list[str]:
    """'a; b;;a' or ['a', 'b'] -> ['a', 'b'] (trimmed, no blanks, no repeats)."""
    if value is None:
        return []
    if isinstance(value, str):
        parts: Iterable[object] = value.split(";")
    elif isinstance(value, list | tuple):
        parts = value
    else:
        raise ProfileError("not_a_list", field=label)
    seen: dict[str, str] = {}
    for part in parts:
        if not isinstance(part, str | int | float):
            raise ProfileError("not_a_list", field=label)
        text, key = _clean_tag(str(part))
        if not text:
            continue
        if len(text) > MAX_TAG:
            raise ProfileError("tag_too_long", field=label, tag=text[:30], limit=MAX_TAG)
        seen.setdefault(key, text)
    if len(seen) > MAX_TAGS:
        raise ProfileError("too_many", field=label, limit=MAX_TAGS)
    return list(seen.values())


def parse_size(raw: object, channel: str) -> int:
    """'120000', '120 000', '120,000', '120k', '1.2M', '1,5M' -> an int."""
    if isinstance(raw, bool):
        raise ProfileError("bad_size", channel=channel, value=raw)
    if isinstance(raw, int | float):
        number = float(raw)
    else:
        # The chat's number reader; an audience counts people, so '1.500' is 1500.
        try:
            number = float(read_number(str(raw), None, whole=True).value)
        except UserError as exc:
            raise ProfileError("bad_size", channel=channel, value=raw) from exc
    if number < 0 or number > MAX_AUDIENCE:
        raise ProfileError("bad_size", channel=channel, value=raw)
    return int(round(number))


def parse_channels(value: object) -> dict[str, int]:
    """'instagram:120000;events:3000', a list of such, or {"instagram": 120000}."""
    pairs: list[tuple[str, object]] = []
    size: object
    if value is None or value == "":
        return {}
    if isinstance(value, Mapping):
        pairs = [(str(k), v) for k, v in value.items()]
    else:
        items = value.split(";") if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            raise ProfileError("not_a_list", field="channels")
        for item in items:
            # Not split_multi: "instagram:12000" strings are all different, folding
            # them for de-duplication would cost more than the whole row.
            name, sep, size = str(item).strip().partition(":")
            if name or sep:
                pairs.append((name, size if sep else 0))
    channels: dict[str, int] = {}
    for name, raw_size in pairs:
        label = " ".join(name.split()).lower()
        if not label:
            raise ProfileError("channel_without_name")
        if len(label) > MAX_TAG:
            raise ProfileError("tag_too_long", field="channels", tag=label[:30], limit=MAX_TAG)
        channels[label] = channels.get(label, 0) + parse_size(
            raw_size if raw_size != "" else 0, label
        )
    if len(channels) > MAX_CHANNELS:
        raise ProfileError("too_many", field="channels", limit=MAX_CHANNELS)
    return channels


def parse_geography(value: object) -> list[str]:
    codes = split_multi(value, label="geography")
    for code in codes:
        if not _GEO_RE.match(code):
            raise ProfileError("bad_geography", value=code)
    return list(dict.fromkeys(code.upper() for code in codes))


def parse_website(value: object) -> str | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not _URL_RE.match(text):
        if _DOMAIN_RE.match(text):
            text = "https://" + text
        else:
            raise ProfileError("bad_website", value=text[:60])
    if len(text) > 500:
        raise ProfileError("bad_website", value=text[:60])
    return text


def parse_email(value: object) -> str | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not _EMAIL_RE.match(text) or len(text) > 320:
        raise ProfileError("bad_email", value=text[:60])
    return text


def _text(value: object, label: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise ProfileError("not_text", field=label)
    return str(value).strip()


def _contacts(data: Mapping[str, Any]) -> list[Contact]:
    contacts: list[Contact] = []
    raw = data.get("contacts")
    if raw is not None:
        if not isinstance(raw, list):
            raise ProfileError("not_a_list", field="contacts")
        for item in raw:
            if not isinstance(item, Mapping):
                raise ProfileError("not_a_list", field="contacts")
            contacts.append(
                Contact(
                    name=_text(item.get("name"), "contacts.name")[:MAX_NAME],
                    role=_text(item.get("role"), "contacts.role")[:MAX_NAME],
                    email=parse_email(item.get("email")),
                )
            )
    # contact_name / contact_role / contact_email: one contact, or several as
    # parallel ';'-separated lists ("Ana;Ben", "CEO;Partnerships", "a@x.org;b@x.org").
    names = _parallel(data.get("contact_name"))
    roles = _parallel(data.get("contact_role"))
    emails = _parallel(data.get("contact_email"))
    count = max(len(names), len(roles), len(emails))
    for i in range(count):
        name = names[i] if i < len(names) else ""
        role = roles[i] if i < len(roles) else ""
        email = parse_email(emails[i] if i < len(emails) else "")
        if name or role or email:
            contacts.append(Contact(name=name[:MAX_NAME], role=role[:MAX_NAME], email=email))
    return contacts


def _parallel(value: object) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(";")
    return [str(v).strip() for v in items]


def profile_from_mapping(data: Mapping[str, Any]) -> Profile:
    """Check one row or JSON object and build the profile, or raise ProfileError."""
    unknown = [k for k in data if k not in COLUMNS and k != "contacts" and k is not None]
    if unknown:
        raise ProfileError("unknown_field", field=", ".join(sorted(map(str, unknown))))
    if None in data and data[None]:  # type: ignore[index]
        raise ProfileError("extra_values")  # a CSV row with more cells than columns
    name = " ".join(_text(data.get("name"), "name").split())
    if not name:
        raise ProfileError("missing_name")
    if len(name) > MAX_NAME:
        raise ProfileError("name_too_long", limit=MAX_NAME)
    description = _text(data.get("description"), "description")
    if len(description) > MAX_DESCRIPTION:
        raise ProfileError("description_too_long", limit=MAX_DESCRIPTION)
    return Profile(
        name=name,
        description=description,
        sectors=split_multi(data.get("sectors"), label="sectors"),
        audience=split_multi(data.get("audience"), label="audience"),
        geography=parse_geography(data.get("geography")),
        channels=parse_channels(data.get("channels")),
        resources=split_multi(data.get("resources"), label="resources"),
        needs=split_multi(data.get("needs"), label="needs"),
        culture=split_multi(data.get("culture"), label="culture"),
        objectives=split_multi(data.get("objectives"), label="objectives"),
        contacts=_contacts(data),
        website=parse_website(data.get("website")),
    )


# -- files --------------------------------------------------------------------


def parse_text(text: str, fmt: str) -> Parsed:
    """`fmt` is "csv" or "json"."""
    text = text.lstrip("\ufeff")
    parsed = Parsed()
    items = _csv_items(text, parsed) if fmt == "csv" else _json_items(text, parsed)
    seen: dict[str, int] = {}
    for position, (line, data) in enumerate(items, start=1):
        item = position if fmt == "json" else None
        try:
            if not isinstance(data, Mapping):
                raise ProfileError("not_an_object")
            profile = profile_from_mapping(data)
            if (first := seen.get(profile.key)) is not None:
                raise ProfileError("duplicate", name=profile.name, line=first)
            seen[profile.key] = line
            parsed.rows.append((line, profile))
        except ProfileError as err:
            parsed.errors.append(RowError(line, err, item))
    return parsed


def parse_file(path: Path) -> Parsed:
    text = path.read_text(encoding="utf-8-sig")
    return parse_text(text, detect_format(path.name, text))


def detect_format(filename: str, text: str) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix in (".json", ".csv"):
        return suffix[1:]
    return "json" if text.lstrip()[:1] in ("[", "{") else "csv"


def _csv_items(text: str, parsed: Parsed) -> Iterator[tuple[int, Mapping[str, Any]]]:
    # Always commas: ';' separates the values of a multi-valued cell.
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "name" not in header:
        parsed.errors.append(RowError(1, ProfileError("missing_name_column")))
        return
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        parsed.errors.append(RowError(1, ProfileError("unknown_field", field=", ".join(unknown))))
        return
    reader.fieldnames = header
    line = 2
    for row in reader:
        start = line
        line = reader.line_num + 1
        if not any((v or "").strip() for k, v in row.items() if k is not None):
            continue
        # What Accord's own export neutralised (`'=…`) reads back as it was.
        yield start, {k: csv_safe.unescape(v) if isinstance(v, str) else v for k, v in row.items()}


def _json_items(text: str, parsed: Parsed) -> Iterator[tuple[int, object]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        parsed.errors.append(RowError(err.lineno, ProfileError("bad_json", reason=err.msg)))
        return
    items: object = data
    if isinstance(data, dict):
        if isinstance(data.get("own_profile"), Mapping):
            try:
                parsed.own = profile_from_mapping(data["own_profile"])
            except ProfileError as err:
                parsed.errors.append(RowError(_line_of(text, '"own_profile"'), err))
        if "partners" in data:
            items = data["partners"]
        elif "own_profile" in data:
            return
        else:
            yield 1, data  # a single profile
            return
    if not isinstance(items, list):
        parsed.errors.append(RowError(1, ProfileError("not_a_list", field="partners")))
        return
    lines = _element_lines(text, len(items), '"partners"' if items is not data else None)
    yield from zip(lines, items, strict=True)


def _line_of(text: str, needle: str) -> int:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else 1


def _element_lines(text: str, count: int, key: str | None) -> list[int]:
    """The line where each element of the profiles array starts (1-based).

    Falls back to the element's position (1, 2, ...) if the array cannot be
    found in the text: an error still points somewhere useful.
    """
    decoder = json.JSONDecoder()
    start = 0
    if key is not None:
        match = re.search(re.escape(key) + r"\s*:\s*\[", text)
        if match is None:
            return list(range(1, count + 1))
        start = match.end()
    else:
        start = text.index("[") + 1
    lines: list[int] = []
    pos, line, counted = start, 1, 0
    whitespace = " \t\r\n,"
    while len(lines) < count:
        while pos < len(text) and text[pos] in whitespace:
            pos += 1
        line += text.count("\n", counted, pos)
        counted = pos
        try:
            _, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            return list(range(1, count + 1))
        lines.append(line)
        pos = end
    return lines


# -- storage ------------------------------------------------------------------


def _values(profile: Profile) -> dict[str, Any]:
    return {**{name: getattr(profile, name) for name in STORED}, "name_key": profile.key}


def bump_revision(session: Session, tenant: Tenant) -> int:
    from storage.counters import next_number

    return next_number(session, tenant.platform, tenant.team_id, REVISION_SCOPE)


def revision(session: Session, tenant: Tenant) -> int:
    value = session.execute(
        select(col(Counter.value)).where(
            col(Counter.platform) == tenant.platform,
            col(Counter.team_id) == tenant.team_id,
            col(Counter.scope) == REVISION_SCOPE,
        )
    ).scalar_one_or_none()
    return int(value or 0)


def store(
    session: Session,
    tenant: Tenant,
    profiles: Sequence[Profile],
    now: datetime,
    *,
    source: str = "import",
    own: bool = False,
    advance: Callable[[int], object] | None = None,
) -> Imported:
    """Insert or update `profiles` (by folded name) in bulk, in the caller's transaction.

    With `own`, the (single) profile becomes the team's own profile and any
    previous own profile under another name is removed. `advance(n)` is told
    after each slice of `n` rows (an operator's progress bar).
    """
    table = PartnerProfile.__table__  # type: ignore[attr-defined]
    tenant_filter = (table.c.platform == tenant.platform, table.c.team_id == tenant.team_id)
    result = Imported()
    if own:
        keys = [p.key for p in profiles]
        session.execute(
            delete(table).where(
                *tenant_filter, table.c.is_own.is_(True), table.c.name_key.not_in(keys)
            )
        )
    existing: dict[str, int] = {}
    keys = [p.key for p in profiles]
    if len(keys) > BULK:
        # A big file: one range scan of the tenant's rows beats hundreds of IN lists.
        query = select(table.c.name_key, table.c.id).where(*tenant_filter)
        wanted = set(keys)
        existing = {k: i for k, i in session.execute(query) if k in wanted}
    else:
        for chunk in _chunks(keys, 900):
            for key, row_id in session.execute(
                select(table.c.name_key, table.c.id).where(
                    *tenant_filter, table.c.name_key.in_(chunk)
                )
            ):
                existing[key] = row_id
    # Written in slices so that a 100,000-row file never holds every row dict at once.
    for batch in _chunks(profiles, 5000):
        created, updated = _store_batch(session, tenant, batch, existing, now, source, own)
        result.created += created
        result.updated += updated
        if advance is not None:
            advance(len(batch))
    if len(profiles) > BULK and session.get_bind().dialect.name == "postgresql":
        # Fresh statistics, or the planner still believes the tables are empty and
        # the rest of this transaction (and the next import) scans them row by row.
        session.execute(sql_text("ANALYZE partner_profile, partner_contact"))
    bump_revision(session, tenant)
    session.flush()
    return result


def _store_batch(
    session: Session,
    tenant: Tenant,
    profiles: Sequence[Profile],
    existing: dict[str, int],
    now: datetime,
    source: str,
    own: bool,
) -> tuple[int, int]:
    table = PartnerProfile.__table__  # type: ignore[attr-defined]
    contacts_table = PartnerContact.__table__  # type: ignore[attr-defined]
    new_rows = []
    changed = []
    for profile in profiles:
        values = _values(profile)
        row_id = existing.get(profile.key)
        if row_id is None:
            new_rows.append(
                {
                    **values,
                    "platform": tenant.platform,
                    "team_id": tenant.team_id,
                    "is_own": own,
                    "source": source,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        else:
            changed.append({**values, "b_id": row_id, "is_own": own, "updated_at": now})
    if new_rows:
        # RETURNING gives the new ids without a second lookup (both back-ends
        # batch this into multi-row INSERTs).
        inserted = session.execute(
            insert(table).returning(table.c.name_key, table.c.id, sort_by_parameter_order=True),
            new_rows,
        )
        existing.update({key: row_id for key, row_id in inserted})
    if changed:
        names = [k for k in changed[0] if k != "b_id"]
        session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({n: bindparam(n) for n in names})
            .execution_options(synchronize_session=False),
            changed,
        )
        for chunk in _chunks([r["b_id"] for r in changed], 900):
            session.execute(delete(contacts_table).where(contacts_table.c.profile_id.in_(chunk)))
    contact_rows = [
        {
            "platform": tenant.platform,
            "team_id": tenant.team_id,
            "profile_id": existing[profile.key],
            "position": position,
            "name": contact.name,
            "role": contact.role,
            "email": contact.email,
        }
        for profile in profiles
        for position, contact in enumerate(profile.contacts)
    ]
    if contact_rows:
        session.execute(insert(contacts_table), contact_rows)
    return len(new_rows), len(changed)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# -- reading back ---------------------------------------------------------------


def own_profile(session: Session, tenant: Tenant) -> PartnerProfile | None:
    return session.exec(
        orm_select(PartnerProfile).where(
            col(PartnerProfile.platform) == tenant.platform,
            col(PartnerProfile.team_id) == tenant.team_id,
            col(PartnerProfile.is_own).is_(True),
        )
    ).first()


def find_profile(session: Session, tenant: Tenant, name: str) -> list[PartnerProfile]:
    """The directory profile named `name` (folded), else those whose name contains it."""
    key = name_key(name)
    base = orm_select(PartnerProfile).where(
        col(PartnerProfile.platform) == tenant.platform,
        col(PartnerProfile.team_id) == tenant.team_id,
        col(PartnerProfile.is_own).is_(False),
    )
    exact = session.exec(base.where(col(PartnerProfile.name_key) == key)).first()
    if exact is not None:
        return [exact]
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    query = (
        base.where(col(PartnerProfile.name_key).like(f"%{escaped}%", escape="\\"))
        .order_by(col(PartnerProfile.name_key))
        .limit(10)
    )
    return list(session.exec(query).all())


def contacts_of(
    session: Session, tenant: Tenant, profile_ids: Sequence[int]
) -> dict[int, list[Contact]]:
    if not profile_ids:
        return {}
    rows = session.exec(
        orm_select(PartnerContact)
        .where(
            col(PartnerContact.platform) == tenant.platform,
            col(PartnerContact.team_id) == tenant.team_id,
            col(PartnerContact.profile_id).in_(list(profile_ids)),
        )
        .order_by(col(PartnerContact.profile_id), col(PartnerContact.position))
    )
    result: dict[int, list[Contact]] = {}
    for row in rows:
        result.setdefault(row.profile_id, []).append(Contact(row.name, row.role, row.email))
    return result


def to_profile(row: PartnerProfile, contacts: Sequence[Contact] = ()) -> Profile:
    profile = Profile(**{name: getattr(row, name) for name in STORED})
    profile.contacts = list(contacts)
    return profile


def directory_rows(session: Session, tenant: Tenant) -> Iterator[tuple[int, Profile]]:
    """Every directory profile of a tenant (without contacts), fast: plain columns."""
    table = PartnerProfile.__table__  # type: ignore[attr-defined]
    result = session.execute(
        select(table.c.id, *(table.c[name] for name in STORED))
        .where(
            table.c.platform == tenant.platform,
            table.c.team_id == tenant.team_id,
            table.c.is_own.is_(False),
        )
        .order_by(table.c.id)
        .execution_options(yield_per=5000)
    )
    for row in result:
        data = row._mapping
        yield data["id"], Profile(**{name: data[name] for name in STORED})


def export_rows(session: Session, tenant: Tenant) -> list[Profile]:
    rows = list(directory_rows(session, tenant))
    contacts: dict[int, list[Contact]] = {}
    ids = [row_id for row_id, _ in rows]
    for chunk in _chunks(ids, 900):
        contacts.update(contacts_of(session, tenant, chunk))
    for row_id, profile in rows:
        profile.contacts = contacts.get(row_id, [])
    return [p for _, p in rows]


def to_mapping(profile: Profile) -> dict[str, Any]:
    """The JSON form: the stored fields and the contacts."""
    contacts = [{"name": c.name, "role": c.role, "email": c.email} for c in profile.contacts]
    return {**{name: getattr(profile, name) for name in STORED}, "contacts": contacts}


def export_text(profiles: Sequence[Profile], fmt: str) -> str:
    """CSV or JSON that `parse_text` reads back to the same profiles."""
    if fmt == "json":
        return json.dumps([to_mapping(p) for p in profiles], ensure_ascii=False, indent=2) + "\n"
    out = io.StringIO()
    writer = csv_safe.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for p in profiles:
        writer.writerow(
            [
                p.name,
                p.description,
                ";".join(p.sectors),
                ";".join(p.audience),
                ";".join(p.geography),
                ";".join(f"{k}:{v}" for k, v in p.channels.items()),
                ";".join(p.resources),
                ";".join(p.needs),
                ";".join(p.culture),
                ";".join(p.objectives),
                ";".join(c.name for c in p.contacts),
                ";".join(c.role for c in p.contacts),
                ";".join(c.email or "" for c in p.contacts),
                p.website or "",
            ]
        )
    return out.getvalue()


class ImportRefused(Exception):
    """Some rows are invalid and the import is all-or-nothing: nothing was stored."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} invalid rows")
        self.errors = errors


def import_parsed(
    session: Session,
    tenant: Tenant,
    parsed: Parsed,
    now: datetime,
    *,
    skip_invalid: bool = False,
    source: str = "import",
    advance: Callable[[int], object] | None = None,
) -> Imported:
    """Store a parsed directory file: all rows, or (with `skip_invalid`) the good ones.

    A row named like the team's own profile is refused: the directory holds
    the others, and overwriting "us" with a partner row would be a surprise.
    """
    own = own_profile(session, tenant)
    if own is not None:
        kept = []
        for line, profile in parsed.rows:
            if profile.key == own.name_key:
                parsed.errors.append(RowError(line, ProfileError("is_own_name", name=profile.name)))
            else:
                kept.append((line, profile))
        parsed.rows = kept
        parsed.errors.sort(key=lambda e: e.line)
    if parsed.errors and not skip_invalid:
        raise ImportRefused(parsed.errors)
    return store(session, tenant, parsed.profiles, now, source=source, advance=advance)


def directory_size(session: Session, tenant: Tenant) -> int:
    from sqlalchemy import func

    table = PartnerProfile.__table__  # type: ignore[attr-defined]
    return int(
        session.execute(
            select(func.count()).where(
                table.c.platform == tenant.platform,
                table.c.team_id == tenant.team_id,
                table.c.is_own.is_(False),
            )
        ).scalar_one()
    )
