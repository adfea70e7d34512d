"""Who may do what in a partnership: the one permission table, enforced in the core.

Three roles, relative to the partnership the channel belongs to:

- **representative** of a company: speaks for it (confirms, signs, ends the agreement),
  manages its people, the KPI ingest token, the channel's settings and links;
- **member** of a company: decides, plans, logs KPIs, drafts the agreement;
- **guest**: in the channel, in no company: reads and can be pinged, changes nothing
  (but may create their own company, of which they become the representative).

A workspace admin or owner (Slack) or a member with Manage Server (Discord) may also
repair any company (`workspace_admin`), so that nobody is locked out. A partnership
without any company yet is *open*: everyone acts in every role, so a new channel can
be set up; creating the first company closes it.

`docs/permissions.md` shows `TABLE`; a test checks that both agree. Handlers call
`require(ctx, Permission.X)` (with `company=` for what concerns one company) before
they change anything; adapters never check roles.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import bindparam
from sqlmodel import Session, select

from bot.kernel.context import Ctx
from bot.kernel.errors import UserError
from bot.kernel.types import Tenant, User
from storage.models import Partnership, Party, PartyMember


class Role(StrEnum):
    REPRESENTATIVE = "representative"
    MEMBER = "member"
    GUEST = "guest"
    WORKSPACE_ADMIN = "workspace_admin"


class Permission(StrEnum):
    READ = "read"
    DECIDE = "decide"
    PLAN = "plan"
    LOG_KPI = "log_kpi"
    EDIT_DIRECTORY = "edit_directory"
    DRAFT_CONTRACT = "draft_contract"
    CONFIRM_CONTRACT = "confirm_contract"
    SIGN_CONTRACT = "sign_contract"
    END_CONTRACT = "end_contract"
    CREATE_COMPANY = "create_company"
    MANAGE_COMPANY = "manage_company"
    LEAVE_COMPANY = "leave_company"
    MANAGE_KPI_TOKEN = "manage_kpi_token"
    MANAGE_SETTINGS = "manage_settings"
    MANAGE_LINKS = "manage_links"


R, M, G, A = Role.REPRESENTATIVE, Role.MEMBER, Role.GUEST, Role.WORKSPACE_ADMIN

# Action -> the roles allowed to do it. `docs/permissions.md` shows this table.
TABLE: dict[Permission, frozenset[Role]] = {
    Permission.READ: frozenset({R, M, G, A}),
    Permission.DECIDE: frozenset({R, M}),
    Permission.PLAN: frozenset({R, M}),
    Permission.LOG_KPI: frozenset({R, M}),
    Permission.EDIT_DIRECTORY: frozenset({R, M}),
    Permission.DRAFT_CONTRACT: frozenset({R, M}),
    Permission.CONFIRM_CONTRACT: frozenset({R}),
    Permission.SIGN_CONTRACT: frozenset({R}),
    Permission.END_CONTRACT: frozenset({R}),
    Permission.CREATE_COMPANY: frozenset({G}),
    Permission.MANAGE_COMPANY: frozenset({R, A}),
    Permission.LEAVE_COMPANY: frozenset({R, M}),
    Permission.MANAGE_KPI_TOKEN: frozenset({R}),
    Permission.MANAGE_SETTINGS: frozenset({R}),
    Permission.MANAGE_LINKS: frozenset({R}),
}

# Every party of the partnership, with the user's membership of it when there is one.
_STANDING = (
    select(Party, PartyMember)
    .outerjoin(
        PartyMember,
        (PartyMember.party_id == Party.id)  # type: ignore[arg-type]
        & (PartyMember.user_id == bindparam("user_id")),
    )
    .where(Party.partnership_id == bindparam("partnership_id"))
    .order_by(Party.id)  # type: ignore[arg-type]
)


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a user stands in a partnership."""

    company: Party | None
    representative: bool
    # The partnership has no company yet: everyone acts in every role.
    open: bool
    admin: bool
    # The admin's own workspace when it is not the tenant's (Slack Connect): they may
    # repair only the company bound to it.
    admin_home: str | None = None

    def roles(self, company: Party | None = None) -> frozenset[Role]:
        """The user's roles; with `company`, a representative only of that company."""
        if self.open:
            roles = {R, M, G}
        elif self.company is None:
            roles = {G}
        elif company is not None and self.company.id != company.id:
            roles = set()  # a member of another company has no role in this one
        else:
            roles = {R, M} if self.representative else {M}
        if self.admin and (
            self.admin_home is None
            or (company is not None and company.home_team_id == self.admin_home)
        ):
            roles.add(A)
        return frozenset(roles)


def standing(session: Session, tenant: Tenant, partnership: Partnership, user: User) -> Standing:
    rows = session.execute(_STANDING, {"user_id": user.id, "partnership_id": partnership.id}).all()
    mine = next(((party, pm) for party, pm in rows if pm is not None), None)
    external = user.home_team_id is not None and user.home_team_id != tenant.team_id
    return Standing(
        company=mine[0] if mine else None,
        representative=bool(mine and mine[1].is_representative),
        open=not rows,
        admin=user.is_workspace_admin,
        admin_home=user.home_team_id if external else None,
    )


def standing_of(ctx: Ctx) -> Standing:
    return standing(ctx.session, ctx.tenant, ctx.partnership, ctx.user)


def allowed(ctx: Ctx, permission: Permission, *, company: Party | None = None) -> bool:
    return bool(standing_of(ctx).roles(company) & TABLE[permission])


def require(ctx: Ctx, permission: Permission, *, company: Party | None = None) -> Standing:
    """The user's standing when they may do `permission`; a localized refusal otherwise.

    `company`: the company the action concerns (its members, its confirmation); a
    representative of another company has no role in it.
    """
    found = standing_of(ctx)
    if found.roles(company) & TABLE[permission]:
        return found
    raise refusal(ctx, permission, found, company)


def refusal(
    ctx: Ctx, permission: Permission, found: Standing, company: Party | None = None
) -> UserError:
    """The error saying what the user tried, who may do it and who they are."""
    t = ctx.t
    name = company.name if company is not None else ""
    who = t(f"permissions.who.{permission.value}", company=name)
    return UserError(
        "permissions.denied",
        action=t(f"permissions.action.{permission.value}"),
        who=who,
        you=describe(ctx, found),
    )


def describe(ctx: Ctx, found: Standing) -> str:
    if found.company is None:
        return ctx.t("permissions.you.guest")
    key = "representative" if found.representative else "member"
    return ctx.t(f"permissions.you.{key}", company=found.company.name)
