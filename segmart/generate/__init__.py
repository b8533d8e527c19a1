"""Demo exports for the raw-export contract: a speciality-coffee shop, three years.

That is the default shop shape, ``fashion``. Other shapes (``cafe``, ``subscription``,
``durables``, ``b2b_wholesale``, ``archive``; ``shapes()``) are rows of
``segmart/shop_shapes.csv``: one column per behaviour parameter (history length,
growth, seasonality, kind mix, B2B shares, purchase gaps, dropout, one-time buyers,
price level, basket size, ...). The code reads every such number from the
shape's row; the numbers quoted in this docstring are the ``fashion`` row's, and
that row reproduces the original output byte for byte. See ``docs/generator.md``.

``generate()`` writes one file per table of the contract (``segmart.contract``), in
contract column order, every value as text. Same arguments give byte-identical files:
all randomness comes from ``numpy.random.SeedSequence`` keyed by ``seed`` (and by the
chunk index for per-customer data); ``end_date`` is the only clock.

Model of behaviour
------------------
*Time.* The history is the three years ending on ``end_date`` (UTC). Shop activity
follows a daily intensity: a month profile with a November/December peak, a Black
Friday to Cyber Monday spike and a December gift rush, and a mild weekday pattern.
New customers arrive with that intensity times a growth trend (the shop grows ~2.2x
over the history). Times of day follow a local-time profile (lunch and evening peaks)
per customer time zone; every timestamp is written in UTC (``...Z``).

*People.* ``customers`` is the number of people (identities). A person is a prospect
(customers file and engagement only, never orders by themselves), a guest-only buyer
(orders with a blank ``customer_id``, no customers row) or a buyer with one account
(a few with two or three accounts that share one email, in differing letter case).
Account holders also check out as guests now and then, and some write their email
with capitals (``Jane.Doe@Gmail.com``): both are normal, not messy. People have a
country (US, CA, GB, DE, FR, ES, NL, AU), region, city, postal code, a language, a
culture-specific name (José, Zoë, Łukasz, 陈 ...), a phone in a local format, and some
are B2B (company name, size, industry, bulk baskets).

*Orders.* A buyer's purchases are a renewal process in "shop time" (time warped by
the seasonal intensity, so rhythms survive the season): a per-customer gamma
inter-purchase gap (mean and shape vary by customer; B2B and "devoted" subscribers
buy often) and, after every purchase, a per-customer dropout probability
(beta-distributed, BG/NBD-like; about a fifth of buyers are one-and-done). So there
are one-time buyers, repeat buyers who lapse, and long-lived regulars; order counts
are heavy-tailed (about 10 orders per person on average, up to a few hundred). Each
order has 1-5 lines whose categories follow the customer's favourite category and
then the related-category graph (the dbt seed ``seeds/category_relations.csv``,
read by the generator too); quantities are 1-3 (B2B: bulk). Spend is skewed:
lognormal product prices, a per-customer spend level, heavy-tailed frequency and B2B
bulk baskets. About 15% of buyers are discount driven (most of their orders carry a
code); codes also follow the calendar (BFCM25, HOLIDAY20, SPRING20, ...), WELCOME10
on first orders and campaign offers. 7% of lines are on sale (a line discount
without a code).

*Money.* All order amounts are in the order currency: USD (base) for most, EUR, GBP,
CAD for customers in those markets (a few of them pay in USD on the marketplace).
Line prices are the USD list price converted at the order day's rate. ``subtotal`` =
sum(quantity * unit_price); ``discount_total`` = sum(line_discount) + any fixed
order-level amount (TAKE5); ``total`` = subtotal - discount_total + shipping_charged +
tax_total; ``shipping_cost`` (what shipping cost the shop, same currency) is always
positive. ``fx_rates`` has a row per day of the history for EUR, GBP, CAD and USD
(USD rows are 1.000000), ``rate_to_base`` = USD per unit, a gentle mean-reverting
random walk; the rate date of an order is the UTC date of ``ordered_at``.

*Order life cycle.* Orders are pending/paid, then fulfilled, then delivered (by age at
``end_date``); ~2.5% are cancelled (most of them with a refund row); ~2.5% of
delivered orders are fully refunded (status ``refunded``; mostly returns) and ~4.5%
get a partial refund (one returned item, or goodwill for a late or damaged parcel).
Refunds are dated days to weeks after delivery and never exceed the order total.
About 2% of orders appear twice: an earlier version and a later version with a new
status and a later ``updated_at`` (``updated_at >= ordered_at`` always).

*Engagement.* ``campaigns`` is a fixed plan: a weekly email newsletter (all or
engaged subscribers, each issue reaching about a third of them), a weekly lifecycle
email (champions, new_second_purchase, at_risk, win_back, lost,
unengaged_subscribers, b2b), a fortnightly SMS, and BFCM / holiday sends. ``offer``
is blank when there is none. Lifecycle campaigns in recent quarters belong to an
experiment (``holdout_2026q1``...) that holds out 20% of the targeted people
(deterministically per person and experiment: no sent event); some newsletters are
subject-line A/B tests without holdout. A person receives a campaign when they
consent to the channel, exist, are not suppressed or erased, and match the segment
rule at send time (orders before the send). Events: sent, delivered or bounced,
opened (email), clicked, unsubscribed, spam_complaint. Open rates differ by person
(engaged, casual, dormant) and decay once a customer lapses. A hard bounce,
unsubscribe or complaint ends sends on that channel and writes a suppression (same
timestamp as the event); a few suppressions are ``manual``. An unsubscribe or
complaint also sets the customer's consent to false at that time. Recipients are
more likely to order in the 7 days after a delivered send (clickers much more so):
a real but modest lift (about +10% orders in that week), and such orders carry the
campaign's offer code.

*Service.* Tickets come from refunds (refund requests, complaints), slow deliveries,
urgent order changes, product questions, B2B quote requests, praise, account and
billing issues; subjects and bodies are varied templates with product names, order
numbers, commas, quotes and line breaks, some in Spanish, French or German. Reviews
(1-5) have bodies consistent with the rating. ``erasure_requests`` lists a handful of
existing customers' emails (about 0.1%); after the request they get no more sends
and place no more orders.

*Identifiers.* Customer, order, ticket, review and event ids are numbers that look
random but are bijections of (chunk, position), so they never collide; line ids are
``<order_id>-<n>``, refund ids ``RF<order_id>``, SKUs ``<PREFIX>-<n>``.

Messy mode
----------
With ``messy > 0`` a ``messy`` share of the rows of each file get one realistic
defect (otherwise the row stays consistent): padded or wrongly cased emails, invalid
emails (``n/a``, ``none``, ``-``, ``x at y.com``, blank), blank order ids, money as
text (``$1,234.50``, ``1234.5 USD``, ``(12.00)``), negative quantities, zero
amounts, refunds larger than the order, unparseable dates, 1970/2099 dates, other
UTC offsets (``+02:00``, ``-05:00``, same instant), ``%m/%d/%Y %H:%M`` local format
(UTC clock), exact duplicate rows, extra order versions, unknown statuses, unknown
SKUs and unknown or lower-case currency codes. Messy draws use their own random
streams, so a messy run is the clean run plus its defects.

Scale
-----
People are processed in chunks of ``CHUNK_SIZE``, each seeded from ``(seed, chunk)``
and vectorised with numpy/pyarrow, and appended to the output files, so memory stays
bounded and the first N people are the same whatever the total.

Modules
-------
``shape`` (the shop parameters, ``shop_shapes.csv``), ``core`` (random streams, ids,
calendar helpers, text formatting), ``catalogue``, ``campaigns`` (the send plan),
``world`` (what all chunks share), ``people``, ``engagement``, ``orders``,
``service`` (tickets, reviews), ``messy``, ``chunk`` (one chunk of people -> rows)
and ``write`` (the files, ``generate()``). Each imports only the ones before it.
"""

from segmart.generate.core import CHUNK_SIZE
from segmart.generate.shape import DEFAULT_SHAPE, SHAPES_FILE, Shape, get_shape, shapes
from segmart.generate.write import _generate as _generate
from segmart.generate.write import generate

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_SHAPE",
    "SHAPES_FILE",
    "Shape",
    "generate",
    "get_shape",
    "shapes",
]
