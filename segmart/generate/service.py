"""Service texts: support tickets and reviews, from templates in several languages."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pyarrow as pa

from segmart.generate.core import (
    DAY,
    HOUR,
    _choice,
    _ints,
    _join,
    _pick,
    _scramble,
    _strs,
)
from segmart.generate.orders import _Orders
from segmart.generate.people import _KIND_PROSPECT, _NEVER, _People
from segmart.generate.world import _World

_TK_REFUND, _TK_COMPLAINT, _TK_SHIPPING, _TK_URGENT, _TK_QUESTION = range(5)
_TK_SALES, _TK_PRAISE, _TK_ACCOUNT, _TK_BILLING = range(5, 9)

# kind: ((subject, body), ...); fields: first, order, product, days, qty, company
_TICKETS_EN: tuple[tuple[tuple[str, str], ...], ...] = (
    (  # refund request
        ("Refund for order #{order}",
         "Hi,\n\nI'd like a refund for order #{order}. The {product} arrived damaged, "
         "the box was crushed and there are beans everywhere.\n\nThanks,\n{first}"),
        ("Return request",
         "Hello, I want to return the {product} from order #{order}. It's not what I "
         "expected, and I haven't opened it. How do I send it back?"),
        ("Refund please",
         'Order #{order}: you sent me "{product}" but I ordered something else. '
         "Please refund me, I don't want a replacement."),
        ("Money back for #{order}?",
         "Hi there,\nthe {product} stopped working after {days} days.\n"
         "Can I get my money back, or at least a partial refund?\n{first}"),
    ),
    (  # complaint
        ("Really disappointed",
         "I've been a customer for a while, but this time the {product} was stale, "
         "flat, and tasted like cardboard. Not acceptable for the price."),
        ("Broken {product}",
         "The {product} in order #{order} arrived broken.\n\nSecond time this "
         'happens. Your "careful packaging" is a joke.'),
        ("Terrible experience",
         "Order #{order} took {days} days, arrived damaged, and nobody answered my "
         "last email. I expect better, frankly."),
    ),
    (  # shipping delay
        ("Where is my order #{order}?",
         "Hi, I ordered {days} days ago and tracking hasn't moved since. Could you "
         "check what's going on with order #{order}?\n\nThanks,\n{first}"),
        ("Order #{order} still not here",
         "It's been {days} days. The tracking page says \"label created\", nothing "
         "else. Is it lost?"),
        ("Delivery delay",
         "Hello,\nmy parcel (order #{order}) was supposed to arrive last week.\n"
         "Any update? I need the {product} for a gift."),
    ),
    (  # urgent
        ("URGENT: wrong address on order #{order}",
         "Please change the shipping address on order #{order} ASAP, I moved last "
         "week!! It hasn't shipped yet, I hope."),
        ("Cancel order #{order} asap",
         "I ordered the {product} twice by mistake. Please cancel order #{order} "
         "before it ships, today if possible."),
        ("Urgent - need this by Friday",
         "Hi, is there any way to upgrade order #{order} to express? It's for an "
         "event on Friday, and I'll pay the difference."),
    ),
    (  # product question
        ("Question about {product}",
         "Hi! Is the {product} suitable for a French press, or is it better for "
         "espresso? Also, how fresh are the beans when they ship?"),
        ("Which grind size?",
         "I just bought the {product}. What grind size do you recommend for a V60, "
         "medium-fine or fine?\n\nCheers,\n{first}"),
        ("{product}: compatible?",
         'Does the {product} work with a 58mm portafilter? The description says '
         '"universal", which is a bit vague.'),
        ("Back in stock?",
         "When will the {product} be back in stock? I'd buy 3 right away."),
    ),
    (  # sales enquiry
        ("Quote for {qty} units",
         "Hello,\n\ncan I get a quote for {qty} units of the {product} today? We're "
         "{company}, and we'd need delivery before the end of the month.\n\n"
         "Best regards,\n{first}"),
        ("Wholesale pricing",
         "Hi, we run {company} and go through about {qty} bags a month. Do you "
         "offer wholesale pricing, net-30 terms, or a monthly subscription?"),
        ("Office coffee supply",
         "We're looking for a coffee supplier for our office ({qty} people). Could "
         'you send a price list and a sample of the "{product}"?'),
    ),
    (  # praise
        ("Thank you!",
         "Just wanted to say the {product} is the best I've had in years. Fast "
         "shipping, lovely packaging, and a handwritten note. Thank you!"),
        ("Love it",
         "Order #{order} arrived a day early. Great beans, great service, "
         "I'll be back.\n{first}"),
    ),
    (  # account
        ("Please delete my data",
         "Hello, please delete my account and all personal data you hold about me, "
         "as per GDPR. Thank you."),
        ("Can't log in",
         "I can't log in anymore; the reset link says \"expired\" every time. "
         "My order history is gone?"),
        ("Unsubscribe me",
         "I keep getting your emails even though I unsubscribed twice. Please stop."),
    ),
    (  # billing
        ("Charged twice for order #{order}",
         "Hi,\nmy card was charged twice for order #{order}, see the attached "
         "statement.\nPlease refund the duplicate charge.\n\n{first}"),
        ("Invoice needed",
         "Could you send a VAT invoice for order #{order}, addressed to {company}? "
         "Thanks."),
    ),
)  # fmt: skip
_TICKETS_INTL = MappingProxyType(
    {
        "es": {
            _TK_REFUND: ("Reembolso pedido #{order}",
                         "Hola,\nel {product} llegó roto. ¿Pueden devolverme el "
                         "dinero del pedido #{order}?\nGracias, {first}"),
            _TK_SHIPPING: ("¿Dónde está mi pedido?",
                           "Hace {days} días que hice el pedido #{order} y todavía "
                           "no ha llegado. ¿Qué pasa?"),
            _TK_QUESTION: ("Pregunta sobre {product}",
                           "¿El {product} sirve para cafetera italiana, o solo para "
                           "espresso?"),
            _TK_PRAISE: ("¡Gracias!",
                         "El {product} es buenísimo, ¡y el envío fue rapidísimo!"),
        },
        "fr": {
            _TK_REFUND: ("Remboursement commande #{order}",
                         "Bonjour,\nle {product} est arrivé cassé. Je souhaite être "
                         "remboursé, s'il vous plaît.\nCordialement, {first}"),
            _TK_SHIPPING: ("Commande #{order} toujours pas arrivée",
                           "Bonjour, ma commande date d'il y a {days} jours, et le "
                           "suivi n'a pas bougé. Pouvez-vous vérifier ?"),
            _TK_QUESTION: ("Question sur {product}",
                           "Bonjour, le {product} convient-il à une cafetière à "
                           "piston ? Merci d'avance."),
            _TK_COMPLAINT: ("Très déçu",
                            "Café éventé, colis abîmé, « service client » absent. "
                            "Vraiment déçu de la commande #{order}."),
        },
        "de": {
            _TK_REFUND: ("Rückerstattung Bestellung #{order}",
                         "Hallo,\nder {product} kam beschädigt an. Bitte erstatten "
                         "Sie mir den Betrag.\nViele Grüße, {first}"),
            _TK_SHIPPING: ("Wo bleibt meine Bestellung?",
                           "Ich habe vor {days} Tagen bestellt (#{order}), aber "
                           "nichts ist angekommen. Was ist los?"),
            _TK_QUESTION: ("Frage zu {product}",
                           "Ist der {product} für Siebträger geeignet, oder eher "
                           "für Filterkaffee?"),
            _TK_PRAISE: ("Vielen Dank!",
                         "Der {product} ist großartig, \"wie beim Röster\". Danke!"),
        },
    }
)  # fmt: skip
_REVIEWS_EN: tuple[tuple[str, ...], ...] = (
    (
        "Terrible. The {product} was stale and bitter, and support never replied.",
        "Arrived broken, would not buy again.",
        "Awful {product}. Waste of money, returning it.",
        "Worst purchase this year: the {product} {flaw}.",
    ),
    (
        "Disappointed with the {product}; {flaw}.",
        "Not great. Expected much more for the price.",
        "Meh, the {product} {flaw}. Probably won't reorder.",
    ),
    (
        "It's okay. The {product} does the job, nothing special.",
        "Average. Decent, but I've had better for less.",
        "Fine, I guess. Shipping was slow, the {product} is alright.",
    ),
    (
        "Really good {product}, would buy again.",
        "Very nice, well packed, and fresh. One star off for the price.",
        "Solid {product}. Smooth, balanced, and easy to brew.",
    ),
    (
        "Absolutely love the {product}! Best I've had in years.",
        "Perfect. Fresh, fragrant, and delivered fast. Five stars!",
        'Amazing {product}, "life-changing" is not an exaggeration.',
        "Excellent, my new daily favourite. Highly recommend!",
    ),
)
_REVIEWS_INTL = MappingProxyType(
    {
        "es": ("Horrible, no lo recomiendo.", "Malo, llegó dañado.",
               "Está bien, normal.", "Muy bueno, lo volveré a comprar.",
               "¡Excelente! Me encanta."),
        "fr": ("Horrible, à éviter.", "Décevant, café éventé.", "Correct, sans plus.",
               "Très bon, je recommande.", "Excellent ! Je l'adore."),
        "de": ("Schrecklich, nie wieder.", "Enttäuschend, leider.", "Ganz okay.",
               "Sehr gut, gerne wieder.", "Hervorragend! Absolut lecker."),
    }
)  # fmt: skip
_FLAWS = (
    "tasted flat",
    "arrived past its best",
    "is louder than expected",
    "leaks a little",
    "was roasted too dark",
)
_TICKET_STATUSES = ("open", "pending", "solved", "closed")
_TICKET_CHANNELS = ("email", "chat", "web_form", "phone", "social")
# share of rated tickets that are "good", per kind
_TICKET_GOOD = (0.55, 0.35, 0.6, 0.7, 0.92, 0.9, 0.98, 0.75, 0.7)


def _tickets(
    w: _World, rng: np.random.Generator, k: int, pp: _People, od: _Orders
) -> dict[str, pa.Array]:
    n = od.n
    refunded = np.flatnonzero(od.refund_kind > 0)
    tp: list[np.ndarray] = []  # person
    to: list[np.ndarray] = []  # order (-1 none)
    tk: list[np.ndarray] = []  # kind
    tt: list[np.ndarray] = []  # created

    def add(person: np.ndarray, order: np.ndarray, kind: np.ndarray, t: np.ndarray):
        tp.append(person)
        to.append(order)
        tk.append(kind)
        tt.append(t)

    # refunds -> refund requests, complaints, urgent
    m = refunded[rng.random(len(refunded)) < 0.1]
    kind = np.array([_TK_REFUND, _TK_COMPLAINT, _TK_URGENT, _TK_BILLING])[
        _choice(rng, (0.55, 0.3, 0.1, 0.05), len(m))
    ]
    t = od.refund_at[m] - rng.integers(HOUR, 3 * DAY, len(m))
    add(od.person[m], m, kind, np.maximum(t, od.ts[m] + HOUR))
    # slow deliveries
    slow = (od.delivered_at < _NEVER) & (od.delivered_at - od.ts > 6 * DAY)
    m = np.flatnonzero(slow & (rng.random(n) < 0.012))
    t = od.ts[m] + rng.integers(5 * DAY, 6 * DAY, len(m))
    add(od.person[m], m, np.full(len(m), _TK_SHIPPING), t)
    # per order: urgent changes, praise after delivery, billing questions
    delivered = od.delivered_at < _NEVER
    for kd, p, after, lo, hi in (
        (_TK_URGENT, 0.0015, od.ts, 300, 6 * HOUR),
        (_TK_PRAISE, 0.0015 * delivered, od.delivered_at, HOUR, 5 * DAY),
        (_TK_BILLING, 0.001, od.ts, HOUR, 4 * DAY),
    ):
        m = np.flatnonzero(rng.random(n) < p)
        t = after[m] + rng.integers(lo, hi, len(m))
        add(od.person[m], m, np.full(len(m), kd), t)
    # people: product questions, B2B quotes, account issues
    u = rng.random(pp.n)
    span = np.maximum(w.t_end - pp.created, HOUR)
    t_any = pp.created + (rng.random(pp.n) * span).astype(np.int64)
    for mask, kd in (
        (u < np.where(pp.kind == _KIND_PROSPECT, 0.05, 0.025), _TK_QUESTION),
        ((u > 0.6) & (u < 0.95) & pp.b2b, _TK_SALES),
        ((u > 0.995) & (pp.n_accounts > 0), _TK_ACCOUNT),
    ):
        m = np.flatnonzero(mask)
        add(m, np.full(len(m), -1), np.full(len(m), kd), t_any[m])
    m = np.flatnonzero(pp.erased_at < _NEVER)
    m = m[rng.random(len(m)) < 0.5]
    add(m, np.full(len(m), -1), np.full(len(m), _TK_ACCOUNT), pp.erased_at[m] - DAY)

    person = np.concatenate(tp)
    order = np.concatenate(to)
    kind = np.concatenate(tk)
    created = np.concatenate(tt)
    ok = (
        (created < w.t_end - 600) & (created >= w.t0) & (created < pp.erased_at[person])
    )
    person, order, kind, created = person[ok], order[ok], kind[ok], created[ok]
    o = np.lexsort((created, person))
    person, order, kind, created = person[o], order[o], kind[o], created[o]
    nt = len(person)

    age = (w.t_end - created) / DAY
    us = rng.random(nt)
    status = np.where(
        age > 14,
        np.where(us < 0.7, 3, 2),
        np.where(
            age > 3,
            _choice(rng, (0.15, 0.2, 0.65, 0.0), nt),
            _choice(rng, (0.5, 0.4, 0.1, 0.0), nt),
        ),
    )
    resolved = status >= 2
    wait = np.where(
        resolved,
        rng.exponential(1.5 * DAY, nt) + 600,
        rng.exponential(6 * HOUR, nt),
    ).astype(np.int64)
    updated = np.minimum(created + wait, w.t_end - 1)
    rated = resolved & (rng.random(nt) < 0.45)
    good = rng.random(nt) < np.array(_TICKET_GOOD)[kind]
    satisfaction = np.where(rated, np.where(good, 1, 2), 0)
    channel = _choice(rng, (0.5, 0.25, 0.15, 0.05, 0.05), nt)
    tid = _scramble(k * 1_000_000 + np.arange(nt), 69_069, 4_242, 8)

    # text
    lang = pp.language[person]
    foreign = rng.random(nt) < 0.65
    variant = rng.integers(0, 1000, nt)
    pick_line = rng.random(nt)
    days = rng.integers(5, 21, nt)
    qty = np.array([20, 25, 50, 50, 100, 200, 500])[rng.integers(0, 7, nt)]
    any_sku = np.searchsorted(w.catalog.key, rng.random(nt) * 0.999, side="right")
    oid_txt = od.oid.to_numpy(zero_copy_only=False) if od.n else np.array([], object)
    subjects: list[str] = []
    bodies: list[str] = []
    for i in range(nt):
        o_i = int(order[i])
        if o_i >= 0:
            a, b = od.line_start[o_i], od.line_start[o_i + 1]
            sku = od.line_sku[a + int(pick_line[i] * (b - a))]
            order_no = oid_txt[o_i]
        else:
            sku = any_sku[i]
            order_no = "N/A"
        p = int(person[i])
        fields = {
            "first": pp.first[p],
            "order": order_no,
            "product": w.catalog.name[sku],
            "days": int(days[i]),
            "qty": int(qty[i]),
            "company": pp.company[p] or "our café",
        }
        kd = int(kind[i])
        intl = _TICKETS_INTL.get(lang[i])
        if intl is not None and foreign[i] and kd in intl:
            subj, body = intl[kd]
        else:
            options = _TICKETS_EN[kd]
            subj, body = options[int(variant[i]) % len(options)]
            if o_i < 0 and "{order}" in subj + body:
                subj, body = _TICKETS_EN[_TK_QUESTION][int(variant[i]) % 4]
        subjects.append(subj.format(**fields))
        bodies.append(body.format(**fields))
    f = w.fmt
    return {
        "ticket_id": _ints(tid),
        "email": _strs(pp.email[person]),
        "created_at": f.ts(created),
        "updated_at": f.ts(updated),
        "status": _pick(_TICKET_STATUSES, status),
        "channel": _pick(_TICKET_CHANNELS, channel),
        "subject": _strs(subjects),
        "body": _strs(bodies),
        "satisfaction": _pick((None, "good", "bad"), satisfaction),
    }


def _reviews(
    w: _World, rng: np.random.Generator, k: int, pp: _People, od: _Orders
) -> dict[str, pa.Array]:
    n = od.n
    delivered = od.delivered_at < _NEVER
    refunded = od.refund_kind == 1
    p = np.where(refunded, 0.12, np.where(delivered, 0.035, 0.0))
    o = np.flatnonzero(rng.random(n) < p)
    base = np.where(refunded[o], od.refund_at[o], od.delivered_at[o])
    base = np.where(base >= _NEVER, od.ts[o] + 5 * DAY, base)
    created = base + rng.integers(2 * DAY, 25 * DAY, len(o))
    keep = (created < w.t_end) & (created < pp.erased_at[od.person[o]])
    o, created = o[keep], created[keep]
    nr = len(o)
    a, b = od.line_start[o], od.line_start[o + 1]
    sku = od.line_sku[a + (rng.random(nr) * (b - a)).astype(np.int64)]
    person = od.person[o]
    score = w.catalog.quality[sku] + rng.normal(0, 0.9, nr) - pp.grump[person]
    rating = np.clip(np.rint(score), 1, 5).astype(np.int64)
    rating = np.where(refunded[o], np.minimum(rating, rng.integers(1, 3, nr)), rating)
    variant = rng.integers(0, 1000, nr)
    foreign = rng.random(nr) < 0.6
    flaw = rng.integers(0, len(_FLAWS), nr)
    lang = pp.language[person]
    bodies: list[str] = []
    for i in range(nr):
        r = int(rating[i]) - 1
        intl = _REVIEWS_INTL.get(lang[i])
        if intl is not None and foreign[i]:
            bodies.append(intl[r])
            continue
        options = _REVIEWS_EN[r]
        bodies.append(
            options[int(variant[i]) % len(options)].format(
                product=w.catalog.name[sku[i]], flaw=_FLAWS[flaw[i]]
            )
        )
    srt = np.lexsort((created, person))
    rid = _scramble(k * 1_000_000 + np.arange(nr), 16_807, 777, 8)
    return {
        "review_id": _join("rv_", _ints(rid)),
        "email": _strs(pp.email[person[srt]]),
        "sku": _strs(w.catalog.sku[sku[srt]]),
        "rating": _ints(rating[srt]),
        "body": _strs(np.array(bodies, dtype=object)[srt] if nr else []),
        "created_at": w.fmt.ts(created[srt]),
    }
