"""Klaviyo: profiles (list or segment export) and events (metric activity).

Profiles export (Lists & segments > a list > Manage > Export to CSV): "Email",
"Klaviyo ID", "First Name", "Last Name", "Phone Number", "Organization",
"City", "State / Region", "Country", "Zip Code", "Email Marketing Consent"
(SUBSCRIBED, UNSUBSCRIBED, NEVER_SUBSCRIBED), "Email Marketing Consent Timestamp",
"SMS Marketing Consent", "Profile Created On", "Email Suppressions", ...

Events: one row per event with its metric ("Opened Email", "Clicked Email",
"Unsubscribed", ...), the profile's email and a timestamp. Klaviyo documents no
single per-event CSV layout, so several header spellings are accepted (see
DECISIONS.md); metrics that are not message engagement are counted as
`unmapped_metric`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from segmart.adapters._base import (
    Context,
    Kind,
    Outcome,
    Table,
    contract_row,
    skipped,
    ts,
    written,
)

SOURCE = (
    "help.klaviyo.com 'How to export a list or segment to a CSV' (profile "
    "columns) and 'Understanding default metrics' (metric names)"
)

#: Klaviyo metric name (lower case) -> (channel, contract event_type).
METRICS: dict[str, tuple[str, str]] = {
    "received email": ("email", "delivered"),
    "opened email": ("email", "opened"),
    "clicked email": ("email", "clicked"),
    "bounced email": ("email", "bounced"),
    "marked email as spam": ("email", "spam_complaint"),
    "unsubscribed": ("email", "unsubscribed"),
    "unsubscribed from email marketing": ("email", "unsubscribed"),
    "unsubscribed from list": ("email", "unsubscribed"),
    "sent sms": ("sms", "sent"),
    "received sms": ("sms", "delivered"),
    "clicked sms": ("sms", "clicked"),
    "failed to deliver sms": ("sms", "bounced"),
    "unsubscribed from sms": ("sms", "unsubscribed"),
    "unsubscribed from sms marketing": ("sms", "unsubscribed"),
}

#: Klaviyo suppression reasons -> contract suppression reasons.
SUPPRESSION_REASONS = {
    "HARD_BOUNCE": "hard_bounce",
    "SPAM_COMPLAINT": "spam_complaint",
    "UNSUBSCRIBED": "unsubscribed",
    "UNSUBSCRIBE": "unsubscribed",
    "INVALID_EMAIL": "invalid",
    "USER_SUPPRESSED": "manual",
}
_REASON = re.compile("|".join(sorted(SUPPRESSION_REASONS, key=len, reverse=True)))
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?")

METRIC_COLUMNS = ("metric name", "metric", "metric_name", "event name")
TIME_COLUMNS = ("timestamp", "datetime", "event time", "time")
EMAIL_COLUMNS = ("email", "$email", "profile email")


def convert_profiles(table: Table, context: Context) -> Iterator[Outcome]:
    """Klaviyo profiles -> customers (consent) and suppressions."""
    for row in table.rows:
        klaviyo_id = row.get("klaviyo id", "profile id").strip()
        email = row.get("email")
        yield written(
            row,
            "customers",
            contract_row(
                "customers",
                customer_id=f"klaviyo:{klaviyo_id or email.strip().lower()}",
                email=email,
                phone=row.get("phone number"),
                first_name=row.get("first name"),
                last_name=row.get("last name"),
                created_at=ts(row.get("profile created on", "date added")),
                country=row.get("country"),
                region=row.get("state / region", "region"),
                city=row.get("city"),
                postal_code=row.get("zip code"),
                company_name=row.get("organization"),
                email_consent=row.get("email marketing consent"),
                sms_consent=row.get("sms marketing consent"),
                consent_updated_at=ts(row.get("email marketing consent timestamp")),
            ),
        )
        suppression = row.get("email suppressions").strip()
        if not suppression or suppression in ("[]", "{}"):
            yield skipped(row, "suppressions", "not_suppressed")
            continue
        reason = _REASON.search(suppression.upper())
        when = _TIMESTAMP.search(suppression)
        yield written(
            row,
            "suppressions",
            contract_row(
                "suppressions",
                email=email,
                channel="email",
                reason=SUPPRESSION_REASONS[reason.group(0)] if reason else suppression,
                suppressed_at=ts(when.group(0)) if when else "",
            ),
        )


def convert_events(table: Table, context: Context) -> Iterator[Outcome]:
    """Klaviyo events -> engagement_events (email and SMS engagement only)."""
    stem = table.path.name.split(".")[0]
    for row in table.rows:
        metric = row.get(*METRIC_COLUMNS).strip()
        mapped = METRICS.get(" ".join(metric.lower().split()))
        if mapped is None:
            yield skipped(row, "engagement_events", "unmapped_metric")
            continue
        channel, event_type = mapped
        event_id = row.get("event id", "$event_id", "id").strip()
        yield written(
            row,
            "engagement_events",
            contract_row(
                "engagement_events",
                event_id=event_id or f"klaviyo:{stem}:{row.number}",
                email=row.get(*EMAIL_COLUMNS),
                channel=channel,
                event_type=event_type,
                campaign_id=row.first(
                    "campaign id", "campaign name", "$message", "message name"
                ),
                occurred_at=ts(row.get(*TIME_COLUMNS)),
            ),
        )


KIND_PROFILES = Kind(
    name="klaviyo_profiles",
    platform="klaviyo",
    description="Klaviyo profiles (list/segment) export",
    signature=(
        ("email",),
        ("klaviyo id", "email marketing consent", "profile created on"),
    ),
    targets=("customers", "suppressions"),
    convert=convert_profiles,
    source=SOURCE,
    excludes=METRIC_COLUMNS,
)

KIND_EVENTS = Kind(
    name="klaviyo_events",
    platform="klaviyo",
    description="Klaviyo events (metric activity) export",
    signature=(METRIC_COLUMNS, TIME_COLUMNS, EMAIL_COLUMNS),
    targets=("engagement_events",),
    convert=convert_events,
    source=SOURCE,
)

KINDS = (KIND_PROFILES, KIND_EVENTS)
