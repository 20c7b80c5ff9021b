"""The help centre's first articles, written for this marketplace's own rules (the numbers are
the platform's defaults; operators edit articles through the API as settings change). The
migration that creates them runs once; later edits belong to agents.

Each entry: slug, market (None: every market), language, category, audience, title, body.
"""

from __future__ import annotations

Article = tuple[str, str | None, str, str, str, str, str]

ARTICLES: list[Article] = [
    # --- buyers: orders and shipping ---------------------------------------------------------
    ("where-is-my-order", None, "en", "shipment", "buyer", "Where is my order? Tracking a parcel",
     "Open the order in the app to see its tracking history: every carrier scan appears there "
     "within minutes. Orders shipped from our fulfilment warehouses leave the same day when "
     "paid before the warehouse's cut-off time, otherwise the next working day. Standard "
     "delivery takes two to three days and express one day after the parcel ships. Orders "
     "shipped by the seller have up to two days to leave and then three days in transit. Each "
     "order shows the date it must ship by and the date it is promised to arrive by. If the "
     "promised date has passed and nothing arrived, open a 'not received' dispute from the "
     "order."),
    ("late-delivery", None, "en", "shipment", "buyer", "My parcel is late",
     "Every order carries a promised delivery date. If that date passes, you can open a "
     "'not received' dispute from the order; the seller has 72 hours to respond, and if it "
     "does not, you are refunded in full including shipping. If the order was never shipped "
     "by its ship-by date it is cancelled and refunded automatically, with no action needed "
     "from you."),
    ("split-parcels", None, "en", "shipment", "buyer", "Why did my order arrive in several parcels?",
     "When no single warehouse holds every item of your order, we ship it from the nearest "
     "warehouses that do, in separate parcels. Each parcel has its own tracking number in the "
     "order. The order counts as delivered when the last parcel arrives, and the return window "
     "starts then."),
    ("delivery-failed", None, "en", "shipment", "buyer", "Delivery failed or the parcel went back",
     "If the carrier cannot deliver, the parcel goes back to the sender. When it arrives "
     "there, the items it contained are refunded to you automatically. If you still want them, "
     "place a new order with a correct address."),
    ("cancel-order", None, "en", "order", "buyer", "Cancelling an order",
     "You can cancel an order free of charge while it is on hold, a short window after "
     "payment, and before it has shipped. Open the order and choose cancel. The payment "
     "authorisation is released straight away, so nothing is charged. Once a parcel has "
     "shipped, request a return after delivery instead."),
    ("returns", None, "en", "order", "buyer", "Returning an item and getting a refund",
     "You can return delivered items within 15 days of delivery. Request the return from the "
     "order, choose the items and give a reason; you get a return label at once. When the "
     "warehouse or the seller receives and inspects the items, the accepted units are refunded "
     "to your original payment method. Items that come back damaged by use or are not what we "
     "sent are not refunded."),
    ("refund-timing", None, "en", "payment", "buyer", "When will I get my refund?",
     "Refunds are issued as soon as the return is accepted, the dispute is decided or the "
     "order is cancelled. Your bank or card provider then usually takes 3 to 10 business days "
     "to show the money on your statement. A cancelled order that was never captured shows "
     "no charge at all: the authorisation simply expires or is released."),
    ("payment-declined", None, "en", "payment", "buyer", "My payment was declined",
     "If your card is declined at checkout the order is cancelled and any stock held for you "
     "is released. Check the card details and your available funds, then check out again. A "
     "flash-deal claim stays yours until its time runs out, so you can retry with another "
     "card."),
    ("when-am-i-charged", None, "en", "payment", "buyer", "When is my card charged?",
     "At checkout we only authorise the amount: the money is reserved, not taken. It is "
     "captured when the first parcel of your order ships. If the order is cancelled before "
     "that, the reservation is released and nothing is charged."),
    ("damaged-item", None, "en", "order", "buyer", "My item arrived damaged or not as described",
     "Open a dispute from the order within 30 days of delivery and choose 'damaged' or 'not "
     "as described'. Add photos as links. The seller can accept, which refunds you "
     "immediately, or reject, after which you have 72 hours to escalate the dispute to our "
     "support team, who decide within 48 hours. You may also simply request a return within "
     "the 15-day window."),
    ("disputes-buyers", None, "en", "order", "buyer", "How disputes work",
     "A dispute is for problems a return cannot fix: an order that never arrived, goods that "
     "are damaged or not as described, or a purchase you did not make. The seller has 72 "
     "hours to respond. If it does not respond, you win by default and are refunded. If it "
     "rejects your claim you can escalate within 72 hours; an agent then decides within 48 "
     "hours and may refund you, ask you to return the goods for a refund, or reject the "
     "claim. Evidence you mark private is seen only by our agents."),
    ("age-restricted-buyers", None, "en", "order", "buyer", "Age-restricted products",
     "Some categories, such as alcohol, vapes and knives, are age-restricted in every market "
     "that allows them. To buy them your account needs a verified date of birth showing you "
     "are 18 or over. Buyers under 18 cannot buy age-restricted products, and their monthly "
     "spending is capped (for example 100 GBP or 120 EUR a month)."),
    ("flash-deals-buyers", None, "en", "order", "buyer", "Flash deals in live streams",
     "During a live stream the host can start a flash deal: a few units at a special price "
     "for a short time. Tap claim to reserve one; you then have 5 minutes to check out at the "
     "deal price. If you do not pay in time, the unit goes back to the deal for other "
     "viewers. Each viewer can claim one unit per deal."),
    ("gifts-and-tokens", None, "en", "payment", "buyer", "Gifts and tokens in live streams",
     "Tokens are bought in the app and spent on gifts during live streams. Gifts are "
     "non-refundable once sent; the host receives a share of each gift. Token top-ups appear "
     "on your statement like any other purchase."),
    ("unauthorised-purchase", None, "en", "payment", "buyer", "A purchase I did not make",
     "If an order on your account was not made by you, open a dispute with the reason "
     "'unauthorised' and change your password at once. Our team reviews such disputes "
     "directly and refunds confirmed unauthorised purchases in full."),
    ("talk-to-a-person", None, "en", "other", "all", "Talking to a person",
     "Our automatic assistant answers first, using your order's real status. If its answer "
     "does not help, reply 'talk to a person' or mark the answer as not helpful, and an agent "
     "takes over. Each ticket shows when you can expect the first reply from a person."),
    # --- sellers -------------------------------------------------------------------------------
    ("ship-by-sellers", None, "en", "shipment", "seller", "Ship-by dates and late shipments",
     "Orders you ship yourself must ship within 2 days of payment; the exact ship-by time is "
     "on each order. Add the carrier and tracking number when you hand the parcel over. If the "
     "ship-by time passes, the order is cancelled, the buyer is refunded, and a late shipment "
     "is recorded on your account health. Orders shipped from our warehouses are our "
     "responsibility: their delays never count against you."),
    ("account-health", None, "en", "account", "seller", "Account health score, warnings and suspension",
     "Your account health score starts at 100. Over a rolling 30-day window, each violation "
     "subtracts points: a late shipment 10, a late delivery of an order you shipped 4, a "
     "cancellation by you 8, a rejected listing 2 and a lost dispute 10. Below 80 you receive "
     "a warning; below 60 the account is suspended and your listings stop selling. You can "
     "appeal from your account page: an agent reviews the appeal, and if it is granted the "
     "violations so far are forgiven and the account is reinstated."),
    ("appeal-suspension", None, "en", "account", "seller", "Appealing a suspension",
     "A suspended seller can still use support. Open an appeal from your account page and "
     "explain what went wrong and what you have changed, such as faster dispatch or better "
     "stock control. Appeals are high priority. If the appeal is granted, catalogue sales "
     "resume and your score returns to 100; if not, the agent explains why."),
    ("listing-rules", None, "en", "listing", "seller", "Listing rules and moderation",
     "Every new listing is checked automatically when you submit it: prohibited keywords, "
     "categories not allowed in your market, missing or misleading prices. Clean listings go "
     "live at once; doubtful ones go to a moderator, usually within a day; listings that break "
     "the rules are rejected with the reasons. Editing a live listing's text sends it through "
     "review again, while price changes apply immediately. Each rejected listing costs 2 "
     "points of account health."),
    ("listing-rejected", None, "en", "listing", "seller", "Why was my listing rejected?",
     "The rejection lists each reason with the field it concerns, for example a prohibited "
     "word in the title or a category that is not allowed in your market. Fix the listing and "
     "submit it again. Repeated rejections lower your account health."),
    ("age-restricted-sellers", None, "en", "listing", "seller", "Selling age-restricted products",
     "Categories marked age-restricted can only be bought by buyers with a verified age of 18 "
     "or over; checkout enforces this for you. Some markets prohibit certain categories "
     "entirely, and listings in them are rejected. Do not describe an age-restricted product "
     "in a way that appeals to minors."),
    ("payouts", None, "en", "payment", "seller", "When do I get paid?",
     "Buyers' payments are captured when the order ships. Your payout for an order becomes "
     "due when its return window closes, 15 days after delivery, because a return or dispute "
     "may still refund the buyer until then. Refunds, FBT fees and creator commissions are "
     "deducted from the order's payout."),
    ("fbt-inbound", None, "en", "shipment", "seller", "Sending stock to our warehouses (FBT)",
     "Create an inbound plan with the SKUs and quantities you will send; we choose the "
     "warehouse nearest your buyers and give you its address. Pack your cartons, confirm the "
     "plan and add the carrier's tracking number. When the cartons arrive, the warehouse "
     "counts every unit: good units become sellable at once, and damaged, missing or "
     "unexpected units are listed on the plan."),
    ("fbt-fees", None, "en", "payment", "seller", "Fulfilment fees",
     "Orders shipped from our warehouses pay a fulfilment fee per unit, set by the parcel's "
     "size tier and billable weight (the greater of its actual and its volumetric weight). "
     "The fee is shown on each packed parcel and deducted from the order's payout."),
    ("seller-disputes", None, "en", "order", "seller", "Responding to a dispute",
     "When a buyer opens a dispute you have 72 hours to respond. Accepting refunds the buyer "
     "and does not count against you. Rejecting lets the buyer escalate to an agent within 72 "
     "hours; add evidence such as tracking, photos and messages to support your case. If you "
     "do not respond in time, the buyer wins by default, and a lost dispute costs 10 points "
     "of account health."),
    ("live-deal-rules", None, "en", "listing", "seller", "Rules for flash deals in live sessions",
     "Only verified sellers can go live. A flash deal sets aside a number of units from your "
     "stock at a deal price for a limited time. Each viewer may claim one unit and has 5 "
     "minutes to pay; unpaid claims return to the deal, and units left when the deal ends go "
     "back to your normal stock at list price. The deal price must be lower than the list "
     "price and cannot be changed once the deal starts."),
    ("creator-commissions", None, "en", "payment", "seller", "Creator commissions",
     "You can offer creators a commission on your products. A sale is attributed to a creator "
     "only through the platform's own signed attribution, never by what a buyer types. "
     "Commission accrues when the order is paid, is reversed if the order is cancelled or "
     "refunded, and becomes payable when the return window closes."),
    ("api-keys-webhooks", None, "en", "other", "seller", "API keys and webhooks",
     "Create API keys in your seller settings to let your own systems manage listings, stock "
     "and shipments. Register a webhook endpoint to receive signed events about your orders, "
     "parcels, disputes and account. Deliveries are signed with the Standard Webhooks scheme, "
     "retried for about three days with growing pauses, and numbered per order so you can "
     "spot a gap."),
    ("cross-border-sellers", None, "en", "account", "seller", "Support for cross-border sellers",
     "Sellers shipping into a market from abroad get exactly the same support targets as "
     "local sellers: the same first-reply and resolution times for their tier and priority, "
     "in the business hours of the market they sell in. Our published support report shows "
     "first-reply times for local and cross-border sellers side by side."),
    ("support-hours", None, "en", "other", "all", "Support hours and reply times",
     "Our assistant answers at any hour. Agents work the business hours of each market, for "
     "example 08:00 to 20:00 Monday to Saturday in the UK, and public holidays are closed. "
     "Reply targets count business hours only and depend on your support tier and the "
     "ticket's priority; each ticket shows its own due times. While we wait for your answer "
     "the resolution clock is paused."),
    # --- German --------------------------------------------------------------------------------
    ("wo-ist-meine-bestellung", "DE", "de", "shipment", "buyer", "Wo ist meine Bestellung?",
     "Öffnen Sie die Bestellung in der App, um die Sendungsverfolgung zu sehen. Bestellungen "
     "aus unseren Lagern werden am selben Tag verschickt, wenn sie vor dem Annahmeschluss "
     "bezahlt wurden. Der Standardversand dauert zwei bis drei Tage, Express einen Tag. Ist "
     "das zugesagte Lieferdatum überschritten, können Sie einen Streitfall 'nicht erhalten' "
     "eröffnen."),
    ("ruecksendung", "DE", "de", "order", "buyer", "Rücksendung und Erstattung",
     "Gelieferte Artikel können Sie innerhalb von 15 Tagen nach der Zustellung zurücksenden. "
     "Beantragen Sie die Rücksendung in der Bestellung; Sie erhalten sofort ein "
     "Rücksendeetikett. Nach Eingang und Prüfung wird der Betrag auf Ihr ursprüngliches "
     "Zahlungsmittel erstattet."),
    ("kontostatus", "DE", "de", "account", "seller", "Kontostatus, Verwarnung und Sperrung",
     "Ihr Kontostatus beginnt bei 100 Punkten. Verspätete Sendungen, Stornierungen durch Sie, "
     "abgelehnte Angebote und verlorene Streitfälle ziehen innerhalb von 30 Tagen Punkte ab. "
     "Unter 80 Punkten erhalten Sie eine Verwarnung, unter 60 wird das Konto gesperrt. Gegen "
     "eine Sperrung können Sie über den Support Einspruch einlegen."),
    ("versandfrist-verkaeufer", "DE", "de", "shipment", "seller", "Versandfristen für Verkäufer",
     "Selbst versandte Bestellungen müssen innerhalb von zwei Tagen nach Zahlung verschickt "
     "werden. Wird die Frist verpasst, wird die Bestellung storniert, der Käufer erhält sein "
     "Geld zurück, und eine verspätete Sendung wird Ihrem Kontostatus angerechnet."),
    ("auszahlungen", "DE", "de", "payment", "seller", "Wann werde ich ausgezahlt?",
     "Die Zahlung des Käufers wird beim Versand eingezogen. Ihre Auszahlung wird fällig, wenn "
     "die Rückgabefrist 15 Tage nach der Zustellung endet. Erstattungen, Lagergebühren und "
     "Provisionen werden abgezogen."),
    ("streitfall-kaeufer", "DE", "de", "order", "buyer", "So funktionieren Streitfälle",
     "Der Verkäufer hat 72 Stunden Zeit zu antworten; antwortet er nicht, erhalten Sie Ihr "
     "Geld automatisch zurück. Lehnt er ab, können Sie den Fall innerhalb von 72 Stunden an "
     "unser Team weitergeben, das innerhalb von 48 Stunden entscheidet."),
]
