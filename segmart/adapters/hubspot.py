"""HubSpot: contacts export (CRM > Contacts > Export), property labels as headers.

Columns used: "Record ID", "First Name", "Last Name", "Email", "Phone Number" /
"Mobile Phone Number", "Company Name", "Industry", "Number of Employees",
"Lifecycle Stage", "Create Date", "Country/Region", "State/Region", "City",
"Postal Code", "Unsubscribed from all email" (hs_email_optout) and "Legal basis
for processing contact's data" (hs_legal_basis).
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
    ts,
    written,
)

SOURCE = (
    "knowledge.hubspot.com/contacts/hubspots-default-contact-properties "
    "(property labels) and knowledge.hubspot.com/import-and-export/"
    "export-records (export uses labels as headers)"
)

TRUE = {"true", "yes", "1", "y"}
FALSE = {"false", "no", "0", "n"}


def email_consent(row: Row) -> str:
    """Consent from HubSpot's fields: "false" when the contact unsubscribed from
    all email; "true" when the legal basis is consent; otherwise blank (unknown:
    legitimate interest is not marketing consent)."""
    opted_out = row.get("unsubscribed from all email").strip().lower()
    if opted_out in TRUE:
        return "false"
    basis = row.get("legal basis for processing contact's data", "legal basis").lower()
    if "consent" in basis:
        return "true"
    return ""


def tags(row: Row) -> str:
    """HubSpot's lifecycle stage (and lead status), as tags a spec can match:
    "lifecycle_stage:Customer, lead_status:Open"."""
    parts = []
    for label, column in (
        ("lifecycle_stage", "lifecycle stage"),
        ("lead_status", "lead status"),
    ):
        value = row.get(column).strip()
        if value:
            parts.append(f"{label}:{value}")
    return ", ".join(parts)


def convert_contacts(table: Table, context: Context) -> Iterator[Outcome]:
    """HubSpot contacts -> customers (B2B attributes, lifecycle stage, consent)."""
    for row in table.rows:
        record = row.get("record id", "contact id").strip()
        yield written(
            row,
            "customers",
            contract_row(
                "customers",
                customer_id=f"hubspot:{record or row.get('email').strip().lower()}",
                email=row.get("email"),
                phone=row.first("phone number", "mobile phone number"),
                first_name=row.get("first name"),
                last_name=row.get("last name"),
                created_at=ts(row.get("create date")),
                country=row.get("country/region", "country"),
                region=row.get("state/region", "state"),
                city=row.get("city"),
                postal_code=row.get("postal code", "zip"),
                language=row.get("preferred language"),
                company_name=row.get("company name"),
                company_size=row.get("number of employees", "company size"),
                industry=row.get("industry"),
                tags=tags(row),
                email_consent=email_consent(row),
            ),
        )


KIND_CONTACTS = Kind(
    name="hubspot_contacts",
    platform="hubspot",
    description="HubSpot contacts export",
    signature=(
        ("record id",),
        ("email",),
        ("lifecycle stage", "create date", "contact owner", "marketing contact status"),
    ),
    targets=("customers",),
    convert=convert_contacts,
    source=SOURCE,
)

KINDS = (KIND_CONTACTS,)
