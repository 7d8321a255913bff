"""Price alerts by email, with no account: an address asks for an email when a card's listing
lands at or under its target price, confirms by a signed link (double opt-in), hears at most once
a day with the new listings, and unsubscribes in one step (RFC 8058), which deletes the address.

`tokens` signs the links, `throttle` limits requests, `subscriptions` changes alerts,
`matching` finds the listings each alert is owed, `messages` writes the emails, `sending` sends
them (`manage.py send_alerts`, also at the end of every refresh and import), `views` serves
/ml/alerts/."""
