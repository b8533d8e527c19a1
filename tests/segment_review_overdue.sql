-- Segments whose review_by date has passed: a warning until the owner reviews the
-- spec (keeps, changes or retires it) and moves review_by.
{{ config(severity='warn') }}

select
    segment_name,
    owner,
    review_by
from {{ ref('segment_library') }}
where is_review_overdue
