"""A help desk's tickets export, Zendesk-style (Zendesk "Export view as CSV",
Freshdesk, Help Scout and Gorgias exports use close variants).

Columns: an id ("Id", "Ticket ID"), the requester's email ("Requester email"),
"Subject", "Description" (or "Body"), "Status", "Satisfaction Score" (or
"Satisfaction"), "Created at", "Updated at", and the channel ("Via", "Channel",
"Source"). Values pass through: staging maps statuses ("Solved", "Open", ...),
channels and satisfaction ("Good", "Bad", "Offered", "Unoffered").
"""

from __future__ import annotations

from collections.abc import Iterator

from segmart.adapters._base import (
    Context,
    Kind,
    Outcome,
    Table,
    contract_row,
    ts,
    written,
)

SOURCE = (
    "support.zendesk.com 'Exporting ticket data from a view to a CSV file' "
    "(column names); Freshdesk/Help Scout variants as aliases"
)

ID = ("id", "ticket id", "ticket #", "ticket number")
REQUESTER_EMAIL = ("requester email", "requester_email", "requester e-mail")


def convert_tickets(table: Table, context: Context) -> Iterator[Outcome]:
    """Help-desk tickets -> tickets."""
    for row in table.rows:
        yield written(
            row,
            "tickets",
            contract_row(
                "tickets",
                ticket_id=row.get(*ID),
                email=row.get(*REQUESTER_EMAIL),
                created_at=ts(row.get("created at", "created_at", "created")),
                updated_at=ts(row.get("updated at", "updated_at", "updated")),
                status=row.get("status"),
                channel=row.get("via", "channel", "source"),
                subject=row.get("subject"),
                body=row.get("description", "body", "comment"),
                satisfaction=row.get(
                    "satisfaction score", "satisfaction", "satisfaction rating", "csat"
                ),
            ),
        )


KIND_TICKETS = Kind(
    name="helpdesk_tickets",
    platform="helpdesk",
    description="Help-desk tickets export (Zendesk-style)",
    signature=(ID, REQUESTER_EMAIL, ("subject",), ("status",)),
    targets=("tickets",),
    convert=convert_tickets,
    source=SOURCE,
)

KINDS = (KIND_TICKETS,)
