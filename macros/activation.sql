{#- Deterministic holdouts and contactability, shared by audiences and performance. -#}

{#- A number in [0, 1) from the first 32 bits of md5(expression): the same input
    gives the same number on every engine and every build. -#}
{% macro hash_fraction(expression) -%}
    {{ return(adapter.dispatch('hash_fraction', 'segmart')(expression)) }}
{%- endmacro %}

{% macro default__hash_fraction(expression) -%}
    (cast(('x' || substr(md5({{ expression }}), 1, 8)) as bit(32)) :: bigint
        & 4294967295) / 4294967296.0
{%- endmacro %}

{% macro duckdb__hash_fraction(expression) -%}
    cast(('0x' || substr(md5({{ expression }}), 1, 8)) as bigint) / 4294967296.0
{%- endmacro %}

{#- 'control' for a var('holdout_share') (default 10%) of customers per segment and
    experiment, 'treatment' for the rest: a hash of (customer_key, segment,
    experiment), so a customer's group never changes between builds and does not
    depend on who else is in the segment. -#}
{% macro holdout_group(customer_key, segment_name, experiment) -%}
    case
        when {{ hash_fraction(
            customer_key ~ " || '|' || " ~ segment_name ~ " || '|' || " ~ experiment
        ) }} < {{ var('holdout_share') }}
            then 'control'
        else 'treatment'
    end
{%- endmacro %}

{#- Why a customer cannot be contacted on `channel` (null: contactable). Consent
    for paid_social is email marketing consent (customer-match audiences are
    built from the email). -#}
{% macro not_contactable_reason(channel) -%}
    {%- if channel == 'email' -%}
        case
            when is_email_suppressed then 'suppressed'
            when not coalesce(has_email_consent, false) then 'no_consent'
        end
    {%- elif channel == 'sms' -%}
        case
            when is_sms_suppressed then 'suppressed'
            when not coalesce(has_sms_consent, false) then 'no_consent'
            when not has_phone then 'no_phone'
        end
    {%- elif channel == 'paid_social' -%}
        case
            when is_paid_social_suppressed or is_email_suppressed then 'suppressed'
            when not coalesce(has_email_consent, false) then 'no_consent'
        end
    {%- else -%}
        cast(null as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of the marts that keep rows between builds: delete the rows of
    erased customers from every date already built, so an erasure reaches the
    past as well as this build. `erased` is ref('int_erased_customers'), written
    in the model's config (the dependency shows there). Nothing to do on a first
    or full-refresh build. On Spark (Parquet tables, no delete) the rows stay
    until a full refresh: docs/activation-and-privacy.md. -#}
{% macro forget_erased_customers(erased) -%}
    {{ return(adapter.dispatch('forget_erased_customers', 'segmart')(erased)) }}
{%- endmacro %}

{% macro default__forget_erased_customers(erased) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where customer_key in (select erased.customer_key from {{ erased }} as erased)
    {%- endif -%}
{%- endmacro %}

{% macro spark__forget_erased_customers(erased) -%}
{%- endmacro %}
