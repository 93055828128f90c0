"""Pure domain of the evaluation service (绩效评价).

Frameworks are versioned data (``frameworks/*.toml``); ``scoring`` interprets a small set of generic scoring
methods named by that data; ``scorecard`` turns a framework plus inputs into lines a reviewer can follow.
``reporting`` tracks reporting duties (报送) and targets, ``competition``/``judging``/``prizes`` run case
competitions and activities, ``club`` ranks member units by collective points, ``comparison`` builds rows.

Imports: stdlib and ``libs.kit.{errors,clock,amounts}`` only — no web framework, ORM or message bus.
"""
