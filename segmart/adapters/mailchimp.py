"""Mailchimp: audience export (Audience > All contacts > Export Audience).

The export is a zip of three CSVs with the same merge-field columns ("Email
Address", "First Name", "Last Name", "Phone Number", ...) and Mailchimp's own
(MEMBER_RATING, OPTIN_TIME, CONFIRM_TIME, CC, REGION, LAST_CHANGED, LEID, EUID,
TAGS, ...). The file is told apart by its extra columns:

- subscribed_members_export_*.csv: none -> consent given;
- unsubscribed_members_export_*.csv: UNSUB_TIME, UNSUB_CAMPAIGN_TITLE,
  UNSUB_REASON, ... -> consent withdrawn, and a suppression (unsubscribed);
- cleaned_members_export_*.csv: CLEAN_TIME, CLEAN_CAMPAIGN_TITLE, ... -> the
  address bounced: a suppression (bounced); consent left blank (unknown).
"""

from __future__ import annotations

from collections.abc import Iterator

from segmart.adapters._base import (
    Context,
    Kind,
    Outcome,
    Row,
    Table,
    contract_row,
    skipped,
    ts,
    written,
)

SOURCE = (
    "mailchimp.com/help/view-export-contacts/ and "
    "mailchimp.com/help/about-your-contacts-export/ (file set and columns)"
)


def member_status(table: Table) -> str:
    """subscribed, unsubscribed or cleaned, from the file's columns."""
    if table.has("unsub_time"):
        return "unsubscribed"
    if table.has("clean_time"):
        return "cleaned"
    return "subscribed"


def _consent(row: Row, status: str) -> tuple[str, str]:
    """(email_consent, consent_updated_at) for a member of a file."""
    if status == "subscribed":
        return "subscribed", ts(row.first("confirm_time", "optin_time", "last_changed"))
    if status == "unsubscribed":
        return "unsubscribed", ts(row.first("unsub_time", "last_changed"))
    return "", ""


def convert_members(table: Table, context: Context) -> Iterator[Outcome]:
    """Mailchimp audience file -> customers (consent) and suppressions."""
    status = member_status(table)
    for row in table.rows:
        email = row.get("email address")
        member_id = row.first("leid", "euid").strip()
        consent, consent_at = _consent(row, status)
        yield written(
            row,
            "customers",
            contract_row(
                "customers",
                customer_id=f"mailchimp:{member_id or email.strip().lower()}",
                email=email,
                phone=row.get("phone number"),
                first_name=row.get("first name"),
                last_name=row.get("last name"),
                created_at=ts(row.first("optin_time", "confirm_time")),
                country=row.get("cc"),
                region=row.get("region"),
                tags=row.get("tags"),
                email_consent=consent,
                consent_updated_at=consent_at,
            ),
        )
        if status == "subscribed":
            yield skipped(row, "suppressions", "subscribed")
            continue
        yield written(
            row,
            "suppressions",
            contract_row(
                "suppressions",
                email=email,
                channel="email",
                reason="unsubscribed" if status == "unsubscribed" else "bounced",
                suppressed_at=ts(
                    row.get("unsub_time" if status == "unsubscribed" else "clean_time")
                ),
            ),
        )


KIND_MEMBERS = Kind(
    name="mailchimp_members",
    platform="mailchimp",
    description="Mailchimp audience export (subscribed, unsubscribed or cleaned)",
    signature=(
        ("email address",),
        ("member_rating", "leid", "euid", "optin_time", "confirm_time"),
    ),
    targets=("customers", "suppressions"),
    convert=convert_members,
    source=SOURCE,
)

KINDS = (KIND_MEMBERS,)
