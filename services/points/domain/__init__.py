"""Pure domain of the points service (积分): schemes and 赋分, the double-entry ledger, the hash chain,
replay, year close (集体积分) and leaderboards. Imports only the stdlib, ``libs.kit.{errors,clock,amounts}``
and ``cryptography``; no web framework, database or messaging code lives here.
"""
