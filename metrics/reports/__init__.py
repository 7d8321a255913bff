"""Monthly GPU market reports, generated from our own stored prices, never written by hand:
`monthly` reads each card's monthly going rates (metrics.MonthlyPrice) into a month's report
(rates and their change, movers, new lows, a summary), `bands` finds the best value per budget
band, `views` serves /ml/shop/reports/ and its Atom feed."""
