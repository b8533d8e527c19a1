-- Fails for a contact channel (a value of the contact_channel domain in
-- enum_values, `all` aside) with no audience format in channel_formats, and for
-- a channel_formats row naming a channel the domain does not have.
with channels as (
    select distinct value as channel
    from {{ ref('enum_values') }}
    where domain = 'contact_channel' and value <> 'all'
),

formats as (
    select channel from {{ ref('channel_formats') }}
)

select 'no format for channel ' || channels.channel as problem
from channels
left join formats on channels.channel = formats.channel
where formats.channel is null
union all
select 'unknown channel ' || formats.channel as problem
from formats
left join channels on formats.channel = channels.channel
where channels.channel is null
