"""One row per support ticket and per review: sentiment, intent, urgency, topic
and recommended action, from the text (redacted of PII before it is classified).

The rules are the analyst-editable seeds text_rules, text_negation,
text_actions and text_sentiment_cues (segmart.text). With SEGMART_LLM_BASE_URL
and SEGMART_LLM_MODEL set, an OpenAI-compatible model classifies instead
(cached; invalid replies fall back to the rules and are counted).
`classifier` and `classifier_version` say which produced each row.
"""

import pyarrow as pa

from segmart.text.classify import classify_texts
from segmart.text.rules import load_rules


def model(dbt, session):
    dbt.config(materialized="table")
    rules = load_rules(
        dbt.ref("text_rules"),
        dbt.ref("text_negation"),
        dbt.ref("text_actions"),
        dbt.ref("text_sentiment_cues"),
    )
    tickets = dbt.ref("stg_shop__tickets").select("ticket_id as id, subject, body")
    reviews = dbt.ref("stg_shop__reviews").select("review_id as id, body, rating")
    classified = [
        classify_texts(tickets.to_arrow_table(), rules, source="ticket"),
        classify_texts(reviews.to_arrow_table(), rules, source="review"),
    ]
    return pa.concat_tables([t.replace_schema_metadata(None) for t in classified])
