"""A network of sites: merge the sites' suppressed feasibility reports into one.

`bounds` reads one site's feasibility.json back into cells and the equations that tie
them (the site's own suppression system); `merge` checks that the sites ran the same
trial version, sums the cells as exact counts or ranges and suppresses the network
totals again; `html` writes network.html. See README.md, "Networks".
"""
